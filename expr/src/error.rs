//! The one error of the expression language: what is wrong, at which column.

use std::fmt;

/// A parse or name error: one line with the column (1-based, in characters)
/// and, where it helps, what would have been right.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExprError {
    /// What is wrong, e.g. `unknown function 'sn'`.
    pub message: String,
    /// Where, counted in characters from 1.
    pub column: usize,
    /// A suggestion or the names that exist, e.g. `did you mean sin?`.
    pub hint: Option<String>,
}

impl ExprError {
    pub(crate) fn new(message: impl Into<String>, column: usize) -> ExprError {
        ExprError {
            message: message.into(),
            column,
            hint: None,
        }
    }

    pub(crate) fn hint(mut self, hint: impl Into<String>) -> ExprError {
        self.hint = Some(hint.into());
        self
    }

    /// `text` with a caret under the column, for front ends that show two lines.
    pub fn marked(&self, text: &str) -> String {
        format!("{text}\n{}^", " ".repeat(self.column.saturating_sub(1)))
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at column {}", self.message, self.column)?;
        if let Some(hint) = &self.hint {
            write!(f, "; {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ExprError {}

/// `did you mean …?` for the name in `known` closest to `name` (at most two
/// edits away; on a tie, the one listed first), else `known …` listing them all
/// under `what`.
pub(crate) fn suggest<'a>(
    name: &str,
    known: impl IntoIterator<Item = &'a str>,
    what: &str,
) -> String {
    let mut known: Vec<&str> = known.into_iter().collect();
    let closest = known
        .iter()
        .enumerate()
        .map(|(i, k)| (edit_distance(name, k), i, *k))
        .filter(|&(d, _, _)| d <= 2)
        .min()
        .map(|(d, _, k)| (d, k));
    known.sort_unstable();
    known.dedup();
    match closest {
        Some((_, k)) => format!("did you mean {k}?"),
        None if known.is_empty() => format!("there are no {what}"),
        None => format!("{what}: {}", known.join(", ")),
    }
}

/// Levenshtein distance, case-insensitive (names are short: quadratic is fine).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let up = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(up + 1);
            diagonal = up;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_pick_the_closest_name_or_list_them() {
        assert_eq!(
            suggest("sn", ["sin", "cos", "tan"], "functions"),
            "did you mean sin?"
        );
        assert_eq!(suggest("zzzz", ["b", "a"], "names"), "names: a, b");
        assert_eq!(suggest("x", [], "names"), "there are no names");
    }

    #[test]
    fn one_line_with_the_column() {
        let e = ExprError::new("unknown function 'sn'", 3).hint("did you mean sin?");
        assert_eq!(
            e.to_string(),
            "unknown function 'sn' at column 3; did you mean sin?"
        );
        assert_eq!(e.marked("1+sn(k)"), "1+sn(k)\n  ^");
    }
}
