//! The catalogs are complete and used: every language has every message
//! with the same arguments and select keys, Danish and Swedish are
//! translations (not English left in place), every message formats, every
//! English message is asked for somewhere in the code, and every message
//! the code asks for exists.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use fluent_syntax::ast::{
    Entry, Expression, InlineExpression, Pattern, PatternElement, VariantKey,
};
use nyckel_i18n::{Arg, Lang, Tr, source};

/// Per message: its variables and, per select, its variant keys.
#[derive(Debug, PartialEq, Eq, Default)]
struct Shape {
    variables: BTreeSet<String>,
    selects: BTreeSet<(String, BTreeSet<String>)>,
}

fn parse(lang: Lang) -> BTreeMap<String, (Shape, String)> {
    let resource = fluent_syntax::parser::parse(source(lang))
        .unwrap_or_else(|(_, errors)| panic!("{}: syntax errors {errors:?}", lang.code()));
    let mut out = BTreeMap::new();
    for entry in resource.body {
        match entry {
            Entry::Message(m) => {
                let mut shape = Shape::default();
                let mut text = String::new();
                let pattern = m
                    .value
                    .unwrap_or_else(|| panic!("{} has no value", m.id.name));
                walk(&pattern, &mut shape, &mut text);
                let dup = out.insert(m.id.name.to_owned(), (shape, text));
                assert!(dup.is_none(), "{}: {} twice", lang.code(), m.id.name);
            }
            Entry::Junk { content } => panic!("{}: junk {content}", lang.code()),
            _ => {}
        }
    }
    out
}

fn walk(p: &Pattern<&str>, shape: &mut Shape, text: &mut String) {
    for e in &p.elements {
        match e {
            PatternElement::TextElement { value } => text.push_str(value),
            PatternElement::Placeable { expression } => {
                text.push('\u{0}');
                match expression {
                    Expression::Inline(i) => inline(i, shape),
                    Expression::Select { selector, variants } => {
                        inline(selector, shape);
                        let name = match selector {
                            InlineExpression::VariableReference { id } => id.name.to_owned(),
                            _ => "?".into(),
                        };
                        let keys = variants
                            .iter()
                            .map(|v| {
                                let k = match &v.key {
                                    VariantKey::Identifier { name } => (*name).to_owned(),
                                    VariantKey::NumberLiteral { value } => (*value).to_owned(),
                                };
                                if v.default { format!("*{k}") } else { k }
                            })
                            .collect();
                        shape.selects.insert((name, keys));
                        for v in variants {
                            walk(&v.value, shape, text);
                        }
                    }
                }
            }
        }
    }
}

fn inline(i: &InlineExpression<&str>, shape: &mut Shape) {
    if let InlineExpression::VariableReference { id } = i {
        shape.variables.insert(id.name.to_owned());
    }
}

/// Messages whose text is the same in every language.
const SAME_EVERYWHERE: [&str; 5] = [
    "my-never-used",
    "help-special-day",
    "time-of-day",
    "footer-support",
    "label-status",
];

#[test]
fn ok_every_language_has_every_message_with_the_same_shape() {
    let en = parse(Lang::En);
    assert!(en.len() > 200, "{} messages", en.len());
    for lang in [Lang::Da, Lang::Sv] {
        let other = parse(lang);
        let missing: Vec<_> = en.keys().filter(|k| !other.contains_key(*k)).collect();
        let extra: Vec<_> = other.keys().filter(|k| !en.contains_key(*k)).collect();
        assert!(missing.is_empty(), "{} lacks {missing:?}", lang.code());
        assert!(extra.is_empty(), "{} has unknown {extra:?}", lang.code());
        for (id, (shape, text)) in &en {
            let (o_shape, o_text) = &other[id];
            assert_eq!(
                shape,
                o_shape,
                "{}: {id} differs in arguments or select keys",
                lang.code()
            );
            if !SAME_EVERYWHERE.contains(&id.as_str()) && !id.starts_with("date") {
                assert_ne!(text, o_text, "{}: {id} is the English text", lang.code());
            }
            if id.ends_with("-html") {
                assert_eq!(
                    tags(text),
                    tags(o_text),
                    "{}: {id} markup differs",
                    lang.code()
                );
            }
        }
    }
}

fn tags(s: &str) -> Vec<String> {
    let mut out = vec![];
    let mut rest = s;
    while let Some(i) = rest.find('<') {
        let Some(j) = rest[i..].find('>') else { break };
        out.push(rest[i..i + j + 1].to_owned());
        rest = &rest[i + j + 1..];
    }
    out
}

#[test]
fn ok_every_message_formats_in_every_language() {
    let en = parse(Lang::En);
    for lang in Lang::ALL {
        let t = Tr::new(lang);
        for (id, (shape, _)) in &en {
            let args: Vec<(&str, Arg<'_>)> = shape
                .variables
                .iter()
                .map(|v| (v.as_str(), Arg::Text("x")))
                .collect();
            // A missing message or a formatting error panics (debug builds).
            let out = if id.ends_with("-html") {
                t.html(id, &args).as_str().to_owned()
            } else {
                t.with(id, &args)
            };
            assert!(!out.is_empty() && out != *id, "{}: {id}", lang.code());
        }
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The sources that ask for messages.
fn sources() -> String {
    let mut all = String::new();
    for dir in [
        "server/src",
        "server/templates",
        "service/src",
        "nyckel/src",
        "i18n/src",
    ] {
        collect(&workspace().join(dir), &mut all);
    }
    all
}

fn collect(dir: &Path, out: &mut String) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs" || x == "html") {
            out.push_str(&std::fs::read_to_string(&p).unwrap());
            out.push('\n');
        }
    }
}

#[test]
fn ok_every_message_is_used_and_every_used_message_exists() {
    let src = sources();
    let en = parse(Lang::En);
    let unused: Vec<_> = en
        .keys()
        .filter(|id| {
            // The terms' rules are asked for by number (`terms-v{VERSION}-rule-{i}`).
            let by_number = id.starts_with("terms-v") && src.contains("\"terms-v{}-rule-{i}\"");
            !by_number && !src.contains(&format!("\"{id}\""))
        })
        .collect();
    assert!(unused.is_empty(), "messages no code asks for: {unused:?}");
    let mut asked = BTreeSet::new();
    for call in [
        "get(\"", "arg(\"", "count(\"", "with(\"", "html(\"", "html1(\"", "html2(\"",
    ] {
        for (i, _) in src.match_indices(call) {
            // A catalog call: `t.get(`, `self.with(`, `lang.tr().get(`.
            let before = &src[..i];
            if !(before.ends_with(" t.")
                || before.ends_with("(t.")
                || before.ends_with("self.")
                || before.ends_with(")."))
            {
                continue;
            }
            let rest = &src[i + call.len()..];
            let id: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            if rest[id.len()..].starts_with('"') && id.contains('-') {
                asked.insert(id);
            }
        }
    }
    assert!(asked.len() > 150, "found {} calls", asked.len());
    let missing: Vec<_> = asked.iter().filter(|id| !en.contains_key(*id)).collect();
    assert!(
        missing.is_empty(),
        "asked for but not in the catalogs: {missing:?}"
    );
}
