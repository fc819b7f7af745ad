//! Property tests of every parser that reads user input: numbers (counts,
//! integers, floats), grid specs (`velocity --grid`), digit strings (`kempner
//! --exclude`) and `.npy` headers. Each gets arbitrary and near-valid input and
//! must answer with a value or a one-line error, never a panic. (Exponents cost
//! nothing whatever their size: `0e4294967295` is timed in tests/reliability.rs.)
//!
//! Cases per property: `PROPTEST_CASES`, 2000 by default (CI); run longer with
//! e.g. `PROPTEST_CASES=200000 cargo test --release -p gearbox-tests --test parsers`.

use std::path::PathBuf;

use gearbox_core::params::parse_integer;
use gearbox_core::{ParamKind, ParamSpec};
use gearbox_host::Registry;
use gearbox_host::npy;
use proptest::prelude::*;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// An error is one line.
fn one_line(e: &str) -> bool {
    !e.is_empty() && !e.contains('\n')
}

/// Text shaped like numbers: digits, signs, exponents, underscores, dots, spaces.
fn numberish() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9_.eE+-]{0,40}",
        "[0-9]{1,25}[eE][+]?[0-9]{1,25}",
        "[0-9]{0,5}\\.[0-9]{0,5}[eE][0-9]{1,12}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn integers_round_trip_in_every_spelling(v in any::<u64>(), sep in 1usize..6) {
        prop_assert_eq!(parse_integer(&v.to_string()), Ok(v));
        let digits = v.to_string();
        let grouped: String = digits
            .chars()
            .enumerate()
            .flat_map(|(i, c)| (i > 0 && i % sep == 0).then_some('_').into_iter().chain([c]))
            .collect();
        prop_assert_eq!(parse_integer(&grouped), Ok(v));
        let zeros = digits.len() - digits.trim_end_matches('0').len();
        if v > 0 && zeros > 0 {
            let short = format!("{}e{zeros}", &digits[..digits.len() - zeros]);
            prop_assert_eq!(parse_integer(&short), Ok(v));
        }
    }

    #[test]
    fn integer_parsing_never_panics(raw in numberish()) {
        match parse_integer(&raw) {
            Ok(v) => {
                // Whatever is accepted is what f64 parsing of the same text says, where exact.
                if let Ok(x) = raw.trim().replace('_', "").parse::<f64>()
                    && x < 9.0e15
                {
                    prop_assert_eq!(v as f64, x, "{:?}", raw);
                }
            }
            Err(e) => prop_assert!(one_line(&e), "{e:?}"),
        }
    }

    #[test]
    fn parameter_checks_never_panic(raw in numberish()) {
        for kind in [ParamKind::Count, ParamKind::Integer, ParamKind::Float, ParamKind::Text] {
            let spec = ParamSpec::new("x", kind, "1", "test");
            if let Err(e) = spec.check(&raw) {
                prop_assert!(one_line(&e) && e.contains("--x"), "{e:?}");
            }
        }
    }

    #[test]
    fn counts_are_positive(v in any::<u64>()) {
        let spec = ParamSpec::new("n", ParamKind::Count, "1", "test");
        prop_assert_eq!(spec.check(&v.to_string()).is_ok(), v > 0);
        let e = spec.check(&format!("-{v}")).unwrap_err();
        prop_assert!(e.contains("must be positive"), "{e}");
    }
}

/// The workload libraries built beside this test.
fn registry() -> &'static Registry {
    static REGISTRY: std::sync::OnceLock<Registry> = std::sync::OnceLock::new();
    REGISTRY.get_or_init(|| Registry::discover(&[]).expect("the target directory is searched"))
}

/// Makes an instance of `workload` with one parameter; checks a refusal is one line.
fn instantiate(workload: &str, param: &str, raw: &str) -> Result<(), TestCaseError> {
    let lib = registry()
        .workload(workload)
        .expect("built by cargo build --workspace");
    match lib.instantiate([(param, raw)]) {
        Ok(instance) => {
            if lib.info.kind == gearbox_core::Kind::Grid {
                let layout = instance
                    .layout()
                    .map_err(|e| TestCaseError::fail(format!("{e:#}")))?;
                prop_assert!(layout.validate().is_ok());
            }
        }
        Err(e) => prop_assert!(one_line(&format!("{e:#}")), "{e:#}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn grid_specs_never_panic(raw in prop_oneof![
        "[0-9]{1,12}x[0-9]{1,12}x[0-9]{1,12}",
        "[0-9xX ,*×-]{0,30}",
        any::<String>(),
    ]) {
        instantiate("velocity", "grid", &raw)?;
    }

    #[test]
    fn valid_grid_specs_give_their_shape(a in 1u64..5000, b in 1u64..5000, c in 1u64..5000) {
        let lib = registry().workload("velocity").unwrap();
        let instance = lib.instantiate([("grid", format!("{a}x{b}x{c}").as_str())]).unwrap();
        let mut dims = instance.layout().unwrap().dims;
        dims.sort();
        let mut expected = vec![a, b, c];
        expected.sort();
        prop_assert_eq!(dims, expected);
    }

    #[test]
    fn digit_strings_never_panic(raw in prop_oneof!["[0-9]{0,25}", "[0-9a-z -]{0,10}", any::<String>()]) {
        instantiate("kempner", "exclude", &raw)?;
    }
}

/// A scratch file for `.npy` cases, one per test thread.
fn npy_path() -> PathBuf {
    let dir = gearbox_host::kit::target_dir()
        .join("test-scratch")
        .join("parsers-npy");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{:?}.npy", std::thread::current().id()).replace(['(', ')'], ""))
}

/// A `.npy` file: magic, `version`, the header length as the version writes it, `dict`, `data`.
fn npy_bytes(version: u8, declared: Option<u32>, dict: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = b"\x93NUMPY".to_vec();
    out.extend_from_slice(&[version, 0]);
    let len = declared.unwrap_or(dict.len() as u32);
    if version == 1 {
        out.extend_from_slice(&(len as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&len.to_le_bytes());
    }
    out.extend_from_slice(dict);
    out.extend_from_slice(data);
    out
}

/// Header dictionaries near the valid one.
fn dicts() -> impl Strategy<Value = String> {
    let descr = prop_oneof![
        Just("'<f8'".to_string()),
        "'[<>|][a-z][0-9]{0,2}'",
        Just(String::new())
    ];
    let order = prop_oneof![Just("False"), Just("True"), Just("")];
    let shape = prop_oneof![
        Just("(2,)".to_string()),
        "\\([0-9]{0,22}(, ?[0-9]{0,22}){0,3},?\\)",
        "[(),0-9 ]{0,12}",
    ];
    (descr, order, shape)
        .prop_map(|(d, o, s)| format!("{{'descr': {d}, 'fortran_order': {o}, 'shape': {s}, }}\n"))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn npy_headers_never_panic(
        version in 0u8..5,
        declared in prop::option::of(any::<u32>()),
        dict in prop_oneof![dicts(), any::<String>()],
        values in 0usize..4,
    ) {
        let path = npy_path();
        let data = vec![0u8; values * 8];
        std::fs::write(&path, npy_bytes(version, declared, dict.as_bytes(), &data)).unwrap();
        match npy::read(&path, &[2]) {
            Ok(v) => prop_assert_eq!(v.len(), 2),
            Err(e) => prop_assert!(one_line(&format!("{e:#}")), "{e:#}"),
        }
    }

    #[test]
    fn arbitrary_bytes_are_not_npy_files(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let path = npy_path();
        std::fs::write(&path, &bytes).unwrap();
        if let Err(e) = npy::read(&path, &[3]) {
            prop_assert!(one_line(&format!("{e:#}")), "{e:#}");
        }
    }
}
