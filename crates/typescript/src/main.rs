//! `cargo run -p discreet-typescript > crates/web/src/records.d.ts` (`make types`).

fn main() {
    print!("{}", discreet_typescript::records());
}
