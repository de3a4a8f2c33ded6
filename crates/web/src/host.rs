use discreet::env::Env;

/// Time and ids from the JS engine; works on the main thread and in workers.
pub struct BrowserEnv;

impl Env for BrowserEnv {
    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    fn random_u64(&self) -> u64 {
        let half = || (js_sys::Math::random() * 4_294_967_296.0) as u64;
        (half() << 32) | half()
    }
}
