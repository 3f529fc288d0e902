#[test]
fn scratch() {
    let path = std::env::var("P").unwrap_or("/tmp/bad.policy".into());
    let text = std::fs::read_to_string(&path).unwrap();
    let p = rulebook::syntax::parse(&text);
    for d in &p.diagnostics {
        eprintln!("{}", rulebook::diagnostic::render(d, "bad.policy", &text, false));
    }
    eprintln!("{} items", p.policy.items.len());
}
