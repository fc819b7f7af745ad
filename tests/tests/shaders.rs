//! Lexical checks on every WGSL file in `shaders/`: no call to a transcendental
//! built-in (on f64 they compile and return garbage on lavapipe, docs/GPU.md;
//! the shared `sin_f64`/`cos_f64` library replaces them).

use std::path::PathBuf;

/// Built-ins that are silently wrong (or, inverseSqrt, not correctly rounded) on
/// f64. `sqrt` is exact and allowed.
const FORBIDDEN: &[&str] = &[
    "sin",
    "cos",
    "tan",
    "exp",
    "exp2",
    "log",
    "log2",
    "pow",
    "atan2",
    "asin",
    "acos",
    "atan",
    "sinh",
    "cosh",
    "tanh",
    "asinh",
    "acosh",
    "atanh",
    "inverseSqrt",
    "radians",
    "degrees",
];

/// The WGSL text without `//` and (nested) `/* */` comments.
fn strip_comments(src: &str) -> String {
    let bytes = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let (mut i, mut depth) = (0, 0usize);
    while i < bytes.len() {
        let pair = &bytes[i..(i + 2).min(bytes.len())];
        if depth == 0 && pair == b"//" {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
        } else if pair == b"/*" {
            depth += 1;
            i += 2;
        } else if depth > 0 && pair == b"*/" {
            depth -= 1;
            i += 2;
        } else {
            if depth == 0 {
                out.push(bytes[i] as char);
            } else if bytes[i] == b'\n' {
                out.push('\n');
            }
            i += 1;
        }
    }
    out
}

/// `(line, name)` of every call of a forbidden built-in: an identifier token from
/// [`FORBIDDEN`] followed (after optional white space) by `(`.
fn forbidden_calls(src: &str) -> Vec<(usize, String)> {
    let code = strip_comments(src);
    let mut found = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if chars[i].is_ascii_alphabetic() || chars[i] == '_' {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let mut j = i;
                while j < chars.len() && chars[j].is_whitespace() {
                    j += 1;
                }
                if FORBIDDEN.contains(&word.as_str()) && chars.get(j) == Some(&'(') {
                    found.push((n + 1, word));
                }
            } else if chars[i].is_ascii_digit() {
                // Skip literals such as 1e-3lf so their letters are not read as names.
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                    i += 1;
                }
            } else {
                i += 1;
            }
        }
    }
    found
}

fn shader_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shaders")
}

#[test]
fn the_scanner_finds_calls_and_ignores_comments_and_longer_names() {
    let src = "fn f(x: f64) -> f64 {\n  // cos(x) in a comment\n  /* exp(x) /* nested */ log(x) */\n  let a = sin_f64(x) + my_cos(x) + cosh_f64(x);\n  return sqrt(a) + cos (x) + pow(a, 2.0);\n}\n";
    assert_eq!(
        forbidden_calls(src),
        vec![(5, "cos".to_string()), (5, "pow".to_string())]
    );
}

#[test]
fn no_shader_calls_a_transcendental_builtin() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(shader_dir())
        .expect("shaders/ directory")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "wgsl"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .wgsl files in {:?}", shader_dir());
    let mut offences = Vec::new();
    for file in &files {
        let src = std::fs::read_to_string(file).expect("readable shader");
        for (line, name) in forbidden_calls(&src) {
            offences.push(format!("{}:{line}: {name}(", file.display()));
        }
    }
    assert!(
        offences.is_empty(),
        "f64 transcendental built-ins are wrong on lavapipe; use sin_f64/cos_f64 from shaders/f64_math.wgsl:\n{}",
        offences.join("\n")
    );
}

#[test]
fn the_shared_library_provides_f64_sin_and_cos() {
    let lib = gearbox_core::wgsl::library();
    for name in [
        "fn sin_f64(",
        "fn cos_f64(",
        "fn sincos_f64(",
        "fn dd_add_f64(",
    ] {
        assert!(lib.contains(name), "library() lacks {name}");
    }
    assert!(forbidden_calls(&lib).is_empty());
}
