//! Property tests of the parsers and the emission code: arbitrary input never
//! panics, valid input round-trips, and nothing can break out of the quoted block.

use discreet::attribute::normalize;
use discreet::compose::{attribute_block, compose, PayloadFormat};
use discreet::extract::{parse_extraction, Candidate};
use discreet::{exchange, NewAttribute};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    // Printable text with the characters that matter to JSON, markup and fences.
    proptest::string::string_regex(r#"[A-Za-z0-9 .,'"<>/\[\]{}`:\\\-é中🙂]{1,80}"#).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn the_extraction_parser_never_panics(reply in any::<String>()) {
        let _ = parse_extraction(&reply);
    }

    #[test]
    fn the_extraction_parser_never_panics_on_json_like_noise(reply in r#"[\[\]{}",:0-9a-z \n`]{0,400}"#) {
        let _ = parse_extraction(&reply);
    }

    #[test]
    fn valid_candidates_round_trip_through_fences_and_prose(
        // Confidences as models write them (two decimals); serde_json reads long ones to within one ulp.
        items in proptest::collection::vec((text(), text(), proptest::collection::vec(text(), 0..3), (0u8..=100).prop_map(|x| f64::from(x) / 100.0)), 0..6),
        before in "[A-Za-z .!]{0,40}",
        after in "[A-Za-z .!]{0,40}",
        fenced in any::<bool>(),
    ) {
        let items: Vec<Candidate> = items.into_iter()
            .filter(|(a, r, _, _)| !a.trim().is_empty() && !r.trim().is_empty())
            .map(|(a, r, e, c)| Candidate {
                attribute: a.trim().to_string(),
                reason: r.trim().to_string(),
                evidence: e.into_iter().map(|q| q.trim().to_string()).filter(|q| !q.is_empty()).collect(),
                confidence: c,
            })
            .collect();
        let json = serde_json::to_string(&items).unwrap();
        let reply = if fenced { format!("{before}\n```json\n{json}\n```\n{after}") } else { format!("{before}\n{json}\n{after}") };
        prop_assert_eq!(parse_extraction(&reply).unwrap(), items);
    }

    #[test]
    fn the_import_parser_never_panics(file in any::<String>()) {
        let _ = exchange::parse(&file);
    }

    #[test]
    fn export_then_import_round_trips(texts in proptest::collection::vec(text(), 0..8)) {
        let attributes: Vec<_> = texts.iter().enumerate()
            .filter_map(|(i, t)| NewAttribute::text(t.as_str()).into_attribute(format!("a{i}"), i as f64).ok())
            .collect();
        let json = exchange::to_json(attributes.clone(), 0.0).unwrap();
        prop_assert_eq!(exchange::parse(&json).unwrap(), attributes);
    }

    #[test]
    fn normalizing_is_idempotent(s in any::<String>()) {
        let once = normalize(&s);
        prop_assert_eq!(normalize(&once), once);
    }

    #[test]
    fn no_attribute_text_escapes_the_quoted_block(texts in proptest::collection::vec(text(), 1..5)) {
        let attributes: Vec<_> = texts.iter().enumerate()
            .filter_map(|(i, t)| NewAttribute::text(t.as_str()).into_attribute(format!("a{i}"), 0.0).ok())
            .collect();
        let refs: Vec<_> = attributes.iter().collect();
        let (payload, withheld) = compose("q", &refs, &PayloadFormat::Text.into());
        prop_assert_eq!(payload.attribute_ids.len() + withheld.len(), attributes.len());
        let sent: Vec<_> = attributes.iter().filter(|a| payload.attribute_ids.contains(&a.id)).collect();
        if let Some(block) = attribute_block(&sent) {
            prop_assert_eq!(block.matches("</user_attributes>").count(), 1);
            let lines: Vec<&str> = block.lines().skip(2).take(sent.len()).collect();
            for (line, a) in lines.iter().zip(&sent) {
                prop_assert!(!line.contains('<') && !line.contains('>'));
                let back: String = serde_json::from_str(line).unwrap();
                prop_assert_eq!(&back, &a.text);
            }
        }
    }
}
