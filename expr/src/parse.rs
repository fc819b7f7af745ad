//! Text to tree: NumExpr's syntax (Python's expression grammar and precedence),
//! so a seed line parses unchanged.
//!
//! Lowest to highest: comparisons (not chained), `|`, `&`, `+ -`, `* /`, unary
//! `- + ~`, `**` (right-associative, and binding tighter than a unary minus on
//! its left: `-k**2` is `-(k**2)`, as in Python). Function names come from the
//! table in [`crate::ops`]; every other name is resolved when compiled.

use std::fmt;

use crate::error::{ExprError, suggest};
use crate::ops::{OPS, Op, Syntax};

/// Deepest nesting of parentheses, calls and unary operators accepted: a bound
/// on the parser's recursion, far beyond any formula a person writes.
const MAX_DEPTH: usize = 200;

/// A parsed formula.
#[derive(Clone, Debug, PartialEq)]
pub enum Ast {
    /// A numeric literal.
    Number(f64),
    /// A name: a variable, a constant, `pi` or `e`.
    Name {
        /// The name.
        name: String,
        /// Where it starts (1-based).
        column: usize,
    },
    /// An operation applied to its arguments.
    Apply {
        /// The operation.
        op: Op,
        /// Its arguments, as many as its arity.
        args: Vec<Ast>,
        /// Where it is written (1-based): the operator or the function name.
        column: usize,
    },
}

/// Printed fully parenthesised, numbers in their shortest exact form: parsing
/// the text gives the same tree back.
impl fmt::Display for Ast {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ast::Number(x) => write!(f, "{x:?}"),
            Ast::Name { name, .. } => f.write_str(name),
            Ast::Apply { op, args, .. } => match op.def().syntax {
                Syntax::Infix(s) => write!(f, "({} {s} {})", args[0], args[1]),
                Syntax::Prefix(s) => write!(f, "({s}{})", args[0]),
                Syntax::Call => {
                    write!(f, "{}(", op.def().name)?;
                    for (i, a) in args.iter().enumerate() {
                        if i > 0 {
                            f.write_str(", ")?;
                        }
                        write!(f, "{a}")?;
                    }
                    f.write_str(")")
                }
            },
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Number(f64),
    Name(String),
    Symbol(&'static str),
    End,
}

/// The symbols of the language, longest first so `**` is not read as `*`.
const SYMBOLS: [&str; 18] = [
    "**", "<=", ">=", "==", "!=", "//", "+", "-", "*", "/", "<", ">", "&", "|", "~", "(", ")", ",",
];

fn lex(text: &str) -> Result<Vec<(Token, usize)>, ExprError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric()
                    || chars[i] == '.'
                    || chars[i] == '_'
                    || ((chars[i] == '+' || chars[i] == '-') && matches!(chars[i - 1], 'e' | 'E')))
            {
                i += 1;
            }
            let raw: String = chars[start..i].iter().collect();
            tokens.push((Token::Number(number(&raw, column)?), column));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push((Token::Name(chars[start..i].iter().collect()), column));
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let Some(symbol) = SYMBOLS.iter().find(|s| rest.starts_with(**s)) else {
                let hint = match c {
                    '%' => "the remainder is not supported (its GPU and CPU forms differ)",
                    '=' => "use == to compare",
                    '^' => "use ** for powers",
                    _ => "operators are + - * / ** < <= > >= == != & | ~",
                };
                return Err(
                    ExprError::new(format!("unexpected character '{c}'"), column).hint(hint),
                );
            };
            i += symbol.len();
            tokens.push((Token::Symbol(symbol), column));
        }
    }
    tokens.push((Token::End, chars.len() + 1));
    Ok(tokens)
}

/// A numeric literal as Python writes it (`2`, `2.5`, `.5`, `1e-3`, `1_000`).
fn number(raw: &str, column: usize) -> Result<f64, ExprError> {
    let digits: String = raw.chars().filter(|&c| c != '_').collect();
    let bad = || ExprError::new(format!("malformed number '{raw}'"), column);
    if raw.starts_with('_') || raw.ends_with('_') || raw.contains("__") {
        return Err(bad());
    }
    if !digits
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
    {
        return Err(bad().hint("a number is followed by an operator, not a name"));
    }
    match digits.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        Ok(_) => Err(ExprError::new(
            format!("number '{raw}' is too large for f64"),
            column,
        )),
        Err(_) => Err(bad()),
    }
}

/// Parses `text` into a tree. Function names are checked here; other names
/// when the tree is compiled.
pub fn parse(text: &str) -> Result<Ast, ExprError> {
    let mut parser = Parser {
        tokens: lex(text)?,
        at: 0,
        depth: 0,
    };
    if parser.peek() == &Token::End {
        return Err(ExprError::new("empty expression", 1));
    }
    let ast = parser.comparison()?;
    match parser.peek() {
        Token::End => Ok(ast),
        Token::Symbol(")") => Err(ExprError::new("unmatched ')'", parser.column())),
        _ => Err(ExprError::new("expected an operator", parser.column())
            .hint("two values side by side need an operator between them")),
    }
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    at: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.at].0
    }

    fn column(&self) -> usize {
        self.tokens[self.at].1
    }

    fn next(&mut self) -> (Token, usize) {
        let t = self.tokens[self.at].clone();
        if self.at + 1 < self.tokens.len() {
            self.at += 1;
        }
        t
    }

    /// The infix operator at the cursor when it is one of `symbols`.
    fn infix(&self, symbols: &[&str]) -> Option<(Op, usize)> {
        match self.peek() {
            Token::Symbol(s) if symbols.contains(s) => {
                Some((Op::operator(s, false)?, self.column()))
            }
            _ => None,
        }
    }

    fn deeper(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ExprError::new(
                format!("expression nested more than {MAX_DEPTH} levels deep"),
                self.column(),
            ));
        }
        Ok(())
    }

    fn comparison(&mut self) -> Result<Ast, ExprError> {
        const COMPARISONS: [&str; 6] = ["<", "<=", ">", ">=", "==", "!="];
        let left = self.or()?;
        let Some((op, column)) = self.infix(&COMPARISONS) else {
            return Ok(left);
        };
        self.next();
        let right = self.or()?;
        if let Some((_, at)) = self.infix(&COMPARISONS) {
            return Err(ExprError::new("chained comparison", at).hint("write (a < b) & (b < c)"));
        }
        Ok(Ast::Apply {
            op,
            args: vec![left, right],
            column,
        })
    }

    /// Left-associative levels: `next` parses the operands.
    fn left_assoc(
        &mut self,
        symbols: &[&str],
        next: fn(&mut Parser) -> Result<Ast, ExprError>,
    ) -> Result<Ast, ExprError> {
        let mut left = next(self)?;
        while let Some((op, column)) = self.infix(symbols) {
            self.next();
            let right = next(self)?;
            left = Ast::Apply {
                op,
                args: vec![left, right],
                column,
            };
        }
        Ok(left)
    }

    fn or(&mut self) -> Result<Ast, ExprError> {
        self.left_assoc(&["|"], Parser::and)
    }

    fn and(&mut self) -> Result<Ast, ExprError> {
        self.left_assoc(&["&"], Parser::arith)
    }

    fn arith(&mut self) -> Result<Ast, ExprError> {
        self.left_assoc(&["+", "-"], Parser::term)
    }

    fn term(&mut self) -> Result<Ast, ExprError> {
        let left = self.left_assoc(&["*", "/"], Parser::unary)?;
        if self.peek() == &Token::Symbol("//") {
            return Err(
                ExprError::new("floor division '//' is not supported", self.column())
                    .hint("write floor(a / b)"),
            );
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Ast, ExprError> {
        let column = self.column();
        let symbol = match self.peek() {
            Token::Symbol(s @ ("-" | "+" | "~")) => *s,
            _ => return self.power(),
        };
        self.next();
        self.deeper()?;
        let operand = self.unary()?;
        self.depth -= 1;
        Ok(match Op::operator(symbol, true) {
            Some(op) => Ast::Apply {
                op,
                args: vec![operand],
                column,
            },
            None => operand, // unary plus
        })
    }

    fn power(&mut self) -> Result<Ast, ExprError> {
        let base = self.atom()?;
        if self.peek() != &Token::Symbol("**") {
            return Ok(base);
        }
        let column = self.column();
        self.next();
        self.deeper()?;
        let exponent = self.unary()?;
        self.depth -= 1;
        Ok(Ast::Apply {
            op: Op::named("pow"),
            args: vec![base, exponent],
            column,
        })
    }

    fn atom(&mut self) -> Result<Ast, ExprError> {
        let (token, column) = self.next();
        match token {
            Token::Number(x) => Ok(Ast::Number(x)),
            Token::Name(name) if self.peek() == &Token::Symbol("(") => self.call(name, column),
            Token::Name(name) => Ok(Ast::Name { name, column }),
            Token::Symbol("(") => {
                self.deeper()?;
                let inner = self.comparison()?;
                self.depth -= 1;
                self.expect(")", "to close the '(' at", column)?;
                Ok(inner)
            }
            Token::End => Err(ExprError::new(
                "expression ends where a value was expected",
                column,
            )),
            Token::Symbol(s) => Err(ExprError::new(
                format!("expected a value, found '{s}'"),
                column,
            )),
        }
    }

    fn expect(&mut self, symbol: &'static str, why: &str, column: usize) -> Result<(), ExprError> {
        if self.peek() == &Token::Symbol(symbol) {
            self.next();
            Ok(())
        } else {
            Err(ExprError::new(
                format!("expected '{symbol}' {why} column {column}"),
                self.column(),
            ))
        }
    }

    fn call(&mut self, name: String, column: usize) -> Result<Ast, ExprError> {
        let Some(op) = Op::function(&name) else {
            let known = OPS.iter().flat_map(|d| d.spellings());
            return Err(ExprError::new(format!("unknown function '{name}'"), column)
                .hint(suggest(&name, known, "functions")));
        };
        self.next(); // (
        self.deeper()?;
        let mut args = Vec::new();
        if self.peek() != &Token::Symbol(")") {
            loop {
                args.push(self.comparison()?);
                if self.peek() != &Token::Symbol(",") {
                    break;
                }
                self.next();
            }
        }
        self.depth -= 1;
        self.expect(")", &format!("to close the call of {name} at"), column)?;
        let arity = op.def().arity();
        if args.len() != arity {
            let s = if arity == 1 { "" } else { "s" };
            return Err(ExprError::new(
                format!("{name} takes {arity} argument{s}, got {}", args.len()),
                column,
            ));
        }
        Ok(Ast::Apply { op, args, column })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printed(text: &str) -> String {
        parse(text).unwrap().to_string()
    }

    #[test]
    fn precedence_follows_python() {
        assert_eq!(printed("-k**2"), "(-pow(k, 2.0))");
        assert_eq!(printed("2**3**2"), "pow(2.0, pow(3.0, 2.0))");
        assert_eq!(printed("2**-k"), "pow(2.0, (-k))");
        assert_eq!(printed("a + b * c - d / e"), "((a + (b * c)) - (d / e))");
        assert_eq!(printed("a < b & c"), "(a < (b & c))");
        assert_eq!(printed("(a < b) | ~(c >= d)"), "((a < b) | (~(c >= d)))");
        assert_eq!(printed("+x"), "x");
        assert_eq!(printed("arcsin(x) + asin(x)"), "(asin(x) + asin(x))");
    }

    #[test]
    fn the_seed_lines_parse_unchanged() {
        parse("sin(twoPi*a)**2 + cos(twoPi*a)**2").unwrap();
        parse("cos(radians(lat))*vlat + sin(radians(lat))*vrad").unwrap();
        parse("where(k % 2 == 0, 1, -1)").unwrap_err();
        parse("where((k > 3) & (k < 1e3), 1 / k**2, 0.5e-3)").unwrap();
    }

    #[test]
    fn numbers_are_read_as_python_reads_them() {
        for (text, value) in [
            ("2", 2.0),
            ("2.5", 2.5),
            (".5", 0.5),
            ("5.", 5.0),
            ("1e-3", 1e-3),
            ("1E+3", 1e3),
            ("1_000", 1000.0),
        ] {
            assert_eq!(parse(text).unwrap(), Ast::Number(value), "{text}");
        }
        assert!(parse("1e400").unwrap_err().message.contains("too large"));
        assert!(parse("1__0").is_err());
        assert!(parse("2k").is_err());
    }

    #[test]
    fn errors_name_the_column_and_what_exists() {
        let e = parse("1+sn(k)").unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown function 'sn' at column 3; did you mean sin?"
        );
        let e = parse("sin(k, 2)").unwrap_err();
        assert_eq!(e.to_string(), "sin takes 1 argument, got 2 at column 1");
        let e = parse("(k + 1").unwrap_err();
        assert_eq!(e.column, 7);
        assert!(
            parse("k +")
                .unwrap_err()
                .message
                .contains("ends where a value")
        );
        assert!(parse("a < b < c").unwrap_err().message.contains("chained"));
        assert!(
            parse("k % 2")
                .unwrap_err()
                .hint
                .unwrap()
                .contains("remainder")
        );
        assert!(
            parse("k k")
                .unwrap_err()
                .message
                .contains("expected an operator")
        );
        assert!(parse("k)").unwrap_err().message.contains("unmatched"));
        assert!(parse("").unwrap_err().message.contains("empty"));
        assert!(
            parse(&"(".repeat(10_000))
                .unwrap_err()
                .message
                .contains("nested")
        );
        assert!(
            parse(&"-".repeat(10_000))
                .unwrap_err()
                .message
                .contains("nested")
        );
    }
}
