//! "Did you mean …?" for mistyped codes and field names.
//!
//! An edit distance is enough here: the candidate lists are short (at most a few dozen codes) and
//! the point is to turn `rednes` into `redness`, not to rank fuzzy matches.

/// The candidate closest to `given`, if it is close enough to be a plausible typo.
pub fn nearest<'a>(given: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let original = given;
    // Case and separators are the commonest slips: `Redness`, `throat tightness`.
    let given = given.to_ascii_lowercase().replace([' ', '-'], "_");
    if given.is_empty() {
        return None;
    }
    let mut best: Option<(usize, &'a str)> = None;
    for &c in candidates {
        let d = distance(&given, &c.to_ascii_lowercase());
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    // A third of the word may differ; beyond that the "suggestion" would only confuse.
    best.filter(|&(d, c)| c != original && d <= (c.len().max(3) / 3).max(2)).map(|(_, c)| c)
}

/// Levenshtein distance over bytes (codes are ASCII).
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, &ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_codes_only() {
        let c = &["redness", "swelling", "pain"];
        assert_eq!(nearest("rednes", c), Some("redness"));
        assert_eq!(nearest("Sweling", c), Some("swelling"));
        assert_eq!(nearest("banana", c), None);
        assert_eq!(nearest("redness", c), None);
        assert_eq!(nearest("Redness", c), Some("redness"));
    }

    #[test]
    fn folds_spaces_and_dashes() {
        assert_eq!(nearest("throat tightness", &["throat_tightness"]), Some("throat_tightness"));
    }
}
