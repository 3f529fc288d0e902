//! "Did you mean" suggestions for misspelt names and keywords.

/// The candidate closest to `word`, if one is close enough to be a likely misspelling.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word_lower = word.to_lowercase();
    let mut best: Option<(&str, usize)> = None;
    for candidate in candidates {
        let distance = strsim::damerau_levenshtein(&word_lower, &candidate.to_lowercase());
        let limit = (candidate.chars().count().max(word.chars().count()) / 3).max(1);
        if distance <= limit && best.is_none_or(|(_, d)| distance < d) {
            best = Some((candidate, distance));
        }
    }
    best.map(|(c, _)| c)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggests_close_names_only() {
        let names = ["revenue", "attainment", "csat"];
        assert_eq!(did_you_mean("revenu", names), Some("revenue"));
        assert_eq!(did_you_mean("atainment", names), Some("attainment"));
        assert_eq!(did_you_mean("margin", names), None);
        assert_eq!(did_you_mean("营收额", ["营收"]), Some("营收"));
    }
}
