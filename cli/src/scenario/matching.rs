//! Comparing what an actor did with what a scenario expects, and showing the difference as
//! a readable line diff when they disagree.

use serde_json::Value;

/// Whether `actual` contains everything in `expected`: objects by key (extra keys allowed),
/// arrays element by element (same length), other values equal.
pub fn is_subset(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e
            .iter()
            .all(|(k, v)| a.get(k).is_some_and(|av| is_subset(v, av))),
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(x, y)| is_subset(x, y))
        }
        _ => expected == actual,
    }
}

/// Bytes as a JSON value if they are JSON, else as text.
pub fn parse(bytes: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(bytes).map_err(|_| String::from_utf8_lossy(bytes).into_owned())
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

/// A `-expected` / `+actual` line diff.
pub fn diff(expected: &str, actual: &str) -> String {
    let diff = similar::TextDiff::from_lines(expected, actual);
    let mut out = String::new();
    for change in diff.iter_all_changes() {
        let sign = match change.tag() {
            similar::ChangeTag::Delete => "-",
            similar::ChangeTag::Insert => "+",
            similar::ChangeTag::Equal => " ",
        };
        out.push_str(sign);
        out.push_str(change.value());
        if !change.value().ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// Compare a reply or state with an expectation; `Err` carries the message and diff.
pub fn compare(
    expected_json: Option<Value>,
    expected_text: &str,
    actual: &[u8],
    subset: bool,
) -> Result<(), (String, String)> {
    let got = parse(actual);
    match (expected_json, got) {
        (Some(e), Ok(a)) => {
            let ok = if subset { is_subset(&e, &a) } else { e == a };
            if ok {
                Ok(())
            } else {
                let what = if subset {
                    "does not contain the expected fields"
                } else {
                    "differs from the expected value"
                };
                Err((what.to_string(), diff(&pretty(&e), &pretty(&a))))
            }
        }
        (None, Err(text)) | (None, Ok(Value::String(text))) if text == expected_text => Ok(()),
        (_, got) => {
            let shown = match got {
                Ok(v) => pretty(&v),
                Err(text) => text,
            };
            Err((
                "differs from the expected value".into(),
                diff(&format!("{expected_text}\n"), &format!("{shown}\n")),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn subset_matches_nested_fields() {
        assert!(is_subset(
            &json!({"a": {"b": 1}}),
            &json!({"a": {"b": 1, "c": 2}, "d": 3})
        ));
        assert!(!is_subset(&json!({"a": {"b": 2}}), &json!({"a": {"b": 1}})));
        assert!(!is_subset(&json!([1]), &json!([1, 2])));
    }

    #[test]
    fn exact_json_and_text_comparisons() {
        assert!(compare(Some(json!(3)), "3", b"3", false).is_ok());
        assert!(compare(Some(json!({"n": 1})), "", b"{\"n\":1}", false).is_ok());
        assert!(compare(None, "pong", b"pong", false).is_ok());
        let (message, diff) = compare(Some(json!({"n": 1})), "", b"{\"n\":2}", false).unwrap_err();
        assert!(message.contains("differs"));
        assert!(
            diff.contains("-  \"n\": 1") && diff.contains("+  \"n\": 2"),
            "{diff}"
        );
    }
}
