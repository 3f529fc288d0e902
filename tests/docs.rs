//! Every example in the language reference parses, so the documentation cannot drift from the
//! grammar.

#[test]
fn every_example_in_the_language_reference_parses() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/language.md")).expect("docs/language.md");
    let mut examples = 0;
    let mut rest = doc.as_str();
    while let Some(start) = rest.find("```policy\n") {
        let body = &rest[start + "```policy\n".len()..];
        let end = body.find("```").expect("example is closed");
        let example = &body[..end];
        let parsed = rulebook::syntax::parse(example);
        assert!(
            parsed.diagnostics.is_empty(),
            "example does not parse: {}\n{example}",
            parsed.diagnostics[0].message
        );
        examples += 1;
        rest = &body[end + 3..];
    }
    assert!(
        examples >= 40,
        "expected an example for every construct, found {examples}"
    );
}
