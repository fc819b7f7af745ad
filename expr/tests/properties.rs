//! Properties of the parser over generated input: no input makes it panic, and
//! a printed tree parses back to the same tree.

use gearbox_expr::{Program, Scope, parse};
use proptest::prelude::*;

/// Formulas built from the grammar: literals, names, calls, unary and binary operators.
fn formula() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (0u32..1000).prop_map(|n| n.to_string()),
        (0.0f64..1e6).prop_map(|x| format!("{x:e}")),
        prop::sample::select(vec!["k", "p", "pi", "e"]).prop_map(str::to_string),
    ];
    leaf.prop_recursive(6, 64, 3, |inner| {
        let ops = prop::sample::select(vec!["+", "-", "*", "/", "**", "<", "==", "&", "|"]);
        let funcs = prop::sample::select(vec!["sin", "arctan", "log1p", "sqrt", "sind", "abs"]);
        prop_oneof![
            (inner.clone(), ops, inner.clone()).prop_map(|(a, o, b)| format!("({a}) {o} ({b})")),
            (funcs, inner.clone()).prop_map(|(f, a)| format!("{f}({a})")),
            inner.clone().prop_map(|a| format!("-{a}")),
            inner.clone().prop_map(|a| format!("~({a})")),
            (inner.clone(), inner.clone(), inner)
                .prop_map(|(c, a, b)| format!("where({c}, {a}, {b})")),
        ]
    })
}

proptest! {
    #[test]
    fn no_input_makes_the_parser_panic(text in "\\PC{0,60}") {
        let _ = parse(&text);
    }

    #[test]
    fn no_token_soup_makes_it_panic(text in "[a-z0-9_.eE+*/<>=!&|~(), -]{0,80}") {
        if let Ok(ast) = parse(&text) {
            let printed = ast.to_string();
            prop_assert_eq!(parse(&printed).unwrap().to_string(), printed);
        }
    }

    #[test]
    fn printed_trees_parse_back_to_themselves(text in formula()) {
        let ast = parse(&text).unwrap();
        let printed = ast.to_string();
        let again = parse(&printed).unwrap();
        prop_assert_eq!(again.to_string(), printed.clone());
        // And both compile to programs with the same operations.
        let scope = Scope::new(&["k"], &["p"]).unwrap();
        let a = Program::compile(&[&text], &scope).unwrap();
        let b = Program::compile(&[&printed], &scope).unwrap();
        prop_assert_eq!(a.nodes, b.nodes);
    }
}
