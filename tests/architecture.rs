//! The layers only point down. Reads every file under `src/`, finds what it imports (`use
//! crate::…`, `use super::…`, grouped or not, and `crate::…::` paths in code and in serde's
//! `deserialize_with` strings), places each file in its unit by the layer table of
//! `docs/ARCHITECTURE.md`, and fails on every import against that table, naming the file, the
//! line and the import, and on every loop of imports between files.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

const DOC: &str = "docs/ARCHITECTURE.md";
const TABLE_HEADING: &str = "## The layer table";

#[test]
fn every_import_points_down_the_layer_table() {
    let table = LayerTable::from_doc(&read(DOC));
    let sources = sources();
    let problems = check(&table, &sources);
    assert!(
        problems.is_empty(),
        "{} import(s) against the layer table of {DOC}:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn no_files_import_each_other_in_a_loop() {
    let table = LayerTable::from_doc(&read(DOC));
    let sources = sources();
    let modules = Modules::new(sources.keys());
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, text) in &sources {
        let edges = graph.entry(file.clone()).or_default();
        for import in imports(file, text, &modules) {
            if import.target != *file {
                edges.insert(import.target);
            }
        }
    }
    let loops = strongly_connected(&graph);
    assert!(
        loops.is_empty(),
        "files that import each other, however far round:\n{}",
        loops
            .iter()
            .map(|files| {
                let units: BTreeSet<&str> = files
                    .iter()
                    .map(|f| table.unit_of(f).name.as_str())
                    .collect();
                format!(
                    "  {} ({})",
                    files.join(", "),
                    units.into_iter().collect::<Vec<_>>().join(", ")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_table_names_every_file_and_only_files_that_exist() {
    let table = LayerTable::from_doc(&read(DOC));
    let files: Vec<String> = sources().into_keys().collect();
    for file in &files {
        table.unit_of(file);
    }
    for unit in &table.units {
        for pattern in &unit.patterns {
            assert!(
                files.iter().any(|f| pattern.matches(f).is_some()),
                "{DOC}: `{}` of unit {} names no file under src/",
                pattern.text,
                unit.name
            );
        }
    }
}

/// The checker itself: an import up the table, one across the front doors, one to a later
/// feature, one from a model into its service and one from the service into the command line's
/// tooling are each reported with file, line and path.
#[test]
fn an_import_up_the_table_is_reported_with_its_line() {
    let table = LayerTable::from_doc(&read(DOC));
    let mut sources = sources();
    sources.insert(
        "src/domain/money.rs".to_owned(),
        "// crate::portal::PageError in a comment\nconst S: &str = \"crate::portal::x\";\nuse crate::{error::ApiError, portal::{self, PageError}};\n".to_owned(),
    );
    sources.insert(
        "src/portal/form.rs".to_owned(),
        "fn f() { crate::awards::routes::configure(cfg); }\n".to_owned(),
    );
    sources.insert(
        "src/funds/model.rs".to_owned(),
        "use crate::monitoring::model::ReturnRow;\nuse super::service::list;\n".to_owned(),
    );
    sources.insert(
        "src/unrouted.rs".to_owned(),
        "use crate::tooling::demo::seed;\n".to_owned(),
    );
    let problems = check(&table, &sources).join("\n");
    for expected in [
        "src/unrouted.rs:1: `crate::tooling::demo::seed` ",
        "src/domain/money.rs:3: `crate::portal` ",
        "src/domain/money.rs:3: `crate::portal::PageError` ",
        "src/domain/money.rs:3: `crate::error::ApiError` ",
        "src/portal/form.rs:1: `crate::awards::routes::configure` ",
        "src/funds/model.rs:1: `crate::monitoring::model::ReturnRow` ",
        "src/funds/model.rs:2: `super::service::list` ",
    ] {
        assert!(
            problems.contains(expected),
            "{expected:?} not reported in:\n{problems}"
        );
    }
    assert!(
        !problems.contains("src/domain/money.rs:1:"),
        "a comment is not an import"
    );
    assert!(
        !problems.contains("src/domain/money.rs:2:"),
        "a string is not an import"
    );
}

#[test]
fn uses_are_read_whole() {
    let modules = Modules::new(
        [
            "src/lib.rs",
            "src/a/mod.rs",
            "src/a/b.rs",
            "src/c.rs",
            "src/d/e.rs",
            "src/d/mod.rs",
        ]
        .map(String::from)
        .iter(),
    );
    let text = "use crate::{a::{self, b::X}, c as see};\npub(crate) use self::e::{Y, *};\n\
                #[serde(deserialize_with = \"crate::c::at_most::<_, _, 3>\")]\n\
                mod tests { use super::*; fn f() { let r = r#\"crate::a\"#; let c = '\"'; crate::a::b::g(); } }\n";
    let found: Vec<(usize, String, String)> = imports("src/d/mod.rs", text, &modules)
        .into_iter()
        .map(|i| (i.line, i.path, i.target))
        .collect();
    let expected = [
        (1, "crate::a", "src/a/mod.rs"),
        (1, "crate::a::b::X", "src/a/b.rs"),
        (1, "crate::c", "src/c.rs"),
        (2, "self::e::Y", "src/d/e.rs"),
        (2, "self::e::*", "src/d/e.rs"),
        (3, "crate::c::at_most", "src/c.rs"),
        (4, "super::*", "src/d/mod.rs"),
        (4, "crate::a::b::g", "src/a/b.rs"),
    ];
    let expected: Vec<(usize, String, String)> = expected
        .iter()
        .map(|(l, p, t)| (*l, (*p).to_owned(), (*t).to_owned()))
        .collect();
    assert_eq!(found, expected);
}

/// Every import of every file that goes against the table, one line each.
fn check(table: &LayerTable, sources: &BTreeMap<String, String>) -> Vec<String> {
    let modules = Modules::new(sources.keys());
    let mut problems = Vec::new();
    for (file, text) in sources {
        let from = table.unit_of(file);
        for import in imports(file, text, &modules) {
            if import.target == *file {
                continue;
            }
            let to = table.unit_of(&import.target);
            if let Some(why) = table.refuses(file, from, &import.target, to) {
                let mut line = String::new();
                let _ = write!(
                    line,
                    "{file}:{}: `{}` ({}) {why}",
                    import.line, import.path, import.target
                );
                problems.push(line);
            }
        }
    }
    problems
}

fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// Every `.rs` file under `src/`, by its path from the crate's root.
fn sources() -> BTreeMap<String, String> {
    fn walk(dir: &Path, root: &Path, into: &mut BTreeMap<String, String>) {
        let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .path();
            if path.is_dir() {
                walk(&path, root, into);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let name = path
                    .strip_prefix(root)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                    .to_string_lossy()
                    .replace('\\', "/");
                let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
                into.insert(name, text);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = BTreeMap::new();
    walk(&root.join("src"), root, &mut files);
    files
}

// The layer table.

/// How a file is named in the table: outright, as `src/*/name.rs`, or by its folder.
#[derive(Debug)]
struct Pattern {
    text: String,
}

impl Pattern {
    /// How closely the pattern names `file`, if it does: a file named outright beats a
    /// `src/*/…` pattern, which beats the deepest folder.
    fn matches(&self, file: &str) -> Option<usize> {
        let p = self.text.as_str();
        if let Some(folder) = p.strip_suffix('/') {
            return file
                .strip_prefix(folder)
                .filter(|rest| rest.starts_with('/'))
                .map(|_| folder.matches('/').count());
        }
        if let Some((before, after)) = p.split_once('*') {
            let rest = file.strip_prefix(before)?.strip_suffix(after)?;
            return (!rest.is_empty() && !rest.contains('/')).then_some(1_000);
        }
        (p == file).then_some(usize::MAX)
    }
}

#[derive(Debug)]
struct Unit {
    /// Place in the table, from the ground up.
    rank: usize,
    layer: String,
    name: String,
    patterns: Vec<Pattern>,
    /// Whether it may import the units listed before it in its own layer.
    ordered: bool,
}

#[derive(Debug)]
struct LayerTable {
    units: Vec<Unit>,
}

impl LayerTable {
    /// Reads the table under [`TABLE_HEADING`]: `| layer | unit | files | own layer |`, one row a
    /// unit, from the ground up; files in backticks; the last column `earlier units` or `none`.
    fn from_doc(doc: &str) -> LayerTable {
        let start = doc
            .find(TABLE_HEADING)
            .unwrap_or_else(|| panic!("{DOC} has no `{TABLE_HEADING}` section"));
        let rows = doc[start..]
            .lines()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .skip(2);
        let mut units = Vec::new();
        for row in rows {
            let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
            let [layer, name, files, own] = cells[..] else {
                panic!("{DOC}: a row of the layer table has not four cells: {row}");
            };
            let patterns: Vec<Pattern> = files
                .split('`')
                .skip(1)
                .step_by(2)
                .map(|p| Pattern { text: p.to_owned() })
                .collect();
            assert!(!patterns.is_empty(), "{DOC}: unit {name} names no files");
            let ordered = match own {
                "earlier units" => true,
                "none" => false,
                other => {
                    panic!("{DOC}: unit {name}: `{other}` is neither `earlier units` nor `none`")
                }
            };
            units.push(Unit {
                rank: units.len(),
                layer: layer.trim_matches('*').to_owned(),
                name: name.to_owned(),
                patterns,
                ordered,
            });
        }
        assert!(units.len() > 1, "{DOC}: the layer table lists no units");
        LayerTable { units }
    }

    /// The unit whose pattern names `file` most closely.
    fn unit_of(&self, file: &str) -> &Unit {
        let mut best: Option<(usize, &Unit)> = None;
        for unit in &self.units {
            for pattern in &unit.patterns {
                if let Some(score) = pattern.matches(file) {
                    assert!(
                        best.is_none_or(|(s, u)| s != score || u.rank == unit.rank),
                        "{DOC}: {file} is named by two units equally"
                    );
                    if best.is_none_or(|(s, _)| score > s) {
                        best = Some((score, unit));
                    }
                }
            }
        }
        best.map(|(_, u)| u)
            .unwrap_or_else(|| panic!("{DOC}: the layer table places {file} in no unit"))
    }

    /// Why `file` of `from` may not import `target` of `to`, if it may not.
    fn refuses(&self, file: &str, from: &Unit, target: &str, to: &Unit) -> Option<String> {
        if from.rank == to.rank {
            let is_model = |f: &str| {
                f.ends_with("/model.rs") || f.contains("/model/") || f.ends_with("/api.rs")
            };
            return (is_model(file) && !is_model(target) && !target.ends_with("/mod.rs")).then(
                || {
                    format!(
                        "is not a model: within {}, routes use services and services use \
                         models, and a model imports only models",
                        from.name
                    )
                },
            );
        }
        if to.rank > from.rank {
            return Some(if to.layer == from.layer {
                format!(
                    "belongs to {}, listed after {} in the {} layer: a unit imports only those \
                     before it",
                    to.name, from.name, from.layer
                )
            } else {
                format!(
                    "points up: {} ({} layer) may not import {} ({} layer)",
                    from.name, from.layer, to.name, to.layer
                )
            });
        }
        (to.layer == from.layer && !from.ordered).then(|| {
            format!(
                "belongs to {}: units of the {} layer do not import each other",
                to.name, from.layer
            )
        })
    }
}

// Reading Rust: just enough to find paths.

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Punct(char),
    Str(String),
}

/// The tokens of a source file with their lines; comments, characters, lifetimes and numbers
/// left out.
fn tokens(text: &str) -> Vec<(usize, Token)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    let count_lines = |from: usize, to: usize, line: &mut usize| {
        *line += chars[from..to].iter().filter(|c| **c == '\n').count();
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let (start, mut depth) = (i, 0);
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            count_lines(start, i.min(chars.len()), &mut line);
        } else if let Some((skip, hashes)) = raw_string_start(&chars, i) {
            let start = i;
            let body = i + skip;
            let mut j = body;
            let closing: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            while j < chars.len() && !chars[j..].starts_with(&closing) {
                j += 1;
            }
            let content: String = chars[body..j.min(chars.len())].iter().collect();
            out.push((line, Token::Str(content)));
            i = (j + closing.len()).min(chars.len());
            count_lines(start, i, &mut line);
        } else if c == '"' || (c == 'b' && next == Some('"')) {
            let start = i;
            let mut j = if c == 'b' { i + 2 } else { i + 1 };
            let body = j;
            while j < chars.len() && chars[j] != '"' {
                j += if chars[j] == '\\' { 2 } else { 1 };
            }
            let content: String = chars[body..j.min(chars.len())].iter().collect();
            out.push((line, Token::Str(content)));
            i = (j + 1).min(chars.len());
            count_lines(start, i, &mut line);
        } else if c == '\'' {
            // A character ('a', '\n', '\u{1F600}', b'x') or a lifetime ('a).
            if next == Some('\\') {
                let mut j = i + 3;
                while j < chars.len() && chars[j] != '\'' {
                    j += 1;
                }
                i = j + 1;
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
            }
        } else if c.is_ascii_digit() {
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                i += 1;
            }
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if word == "r"
                && chars.get(i) == Some(&'#')
                && chars.get(i + 1).is_some_and(|c| c.is_alphabetic())
            {
                // A raw identifier, r#type.
                i += 1;
                continue;
            }
            out.push((line, Token::Ident(word)));
        } else {
            out.push((line, Token::Punct(c)));
            i += 1;
        }
    }
    out
}

/// Where a raw string (`r"…"`, `r#"…"#`, `br"…"`) starts at `i`: how many characters its
/// opening takes and how many `#` close it.
fn raw_string_start(chars: &[char], i: usize) -> Option<(usize, usize)> {
    if i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_') {
        return None;
    }
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = chars[j..].iter().take_while(|c| **c == '#').count();
    (chars.get(j + hashes) == Some(&'"')).then_some((j + hashes + 1 - i, hashes))
}

/// The files of the crate by module path: `src/a/b.rs` and `src/a/b/mod.rs` are `a::b`,
/// `src/lib.rs` the root.
struct Modules {
    files: BTreeMap<Vec<String>, String>,
}

impl Modules {
    fn new<'a>(files: impl Iterator<Item = &'a String>) -> Modules {
        let files = files
            .filter(|f| f.as_str() != "src/main.rs")
            .map(|f| (module_of(f), f.clone()))
            .collect();
        Modules { files }
    }

    /// The file of the longest leading part of `path` that is a module.
    fn file_of(&self, path: &[String]) -> Option<&String> {
        (0..=path.len())
            .rev()
            .find_map(|n| self.files.get(&path[..n]))
    }
}

fn module_of(file: &str) -> Vec<String> {
    let inner = file.trim_start_matches("src/").trim_end_matches(".rs");
    let mut parts: Vec<String> = inner.split('/').map(str::to_owned).collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
    {
        parts.pop();
    }
    parts
}

#[derive(Debug)]
struct Import {
    line: usize,
    /// As written, `{…}` groups spelled out.
    path: String,
    target: String,
}

/// What `file` imports from the crate: `use crate::…`, `use super::…` and `use self::…` (groups
/// spelled out), `crate::…` and `super::…` paths in code, and strings that start with `crate::`
/// (serde's `deserialize_with`). The binary's root, `src/main.rs`, is a crate of its own.
fn imports(file: &str, text: &str, modules: &Modules) -> Vec<Import> {
    if file == "src/main.rs" {
        return Vec::new();
    }
    let tokens = tokens(text);
    let home = module_of(file);
    let mut found = Vec::new();
    // Inline modules open around the current token, with the depth of braces they opened at.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while i < tokens.len() {
        let (line, token) = &tokens[i];
        let here = || {
            let mut m = home.clone();
            m.extend(inline.iter().map(|(name, _)| name.clone()));
            m
        };
        match token {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth -= 1;
            }
            Token::Ident(word) if word == "mod" => {
                if let (Some((_, Token::Ident(name))), Some((_, Token::Punct('{')))) =
                    (tokens.get(i + 1), tokens.get(i + 2))
                {
                    inline.push((name.clone(), depth + 1));
                }
            }
            Token::Ident(word) if word == "use" => {
                let end = (i..tokens.len())
                    .find(|&j| tokens[j].1 == Token::Punct(';'))
                    .unwrap_or(tokens.len());
                let mut paths = Vec::new();
                use_tree(&tokens[i + 1..end], "", &mut paths);
                for (line, path) in paths {
                    push(&mut found, line, path, &here(), modules);
                }
                i = end;
                continue;
            }
            Token::Ident(word) if word == "crate" || word == "super" => {
                let after_colons = i > 0 && tokens[i - 1].1 == Token::Punct(':');
                if !after_colons {
                    let (path, next) = path_at(&tokens, i);
                    if path.contains("::") {
                        push(&mut found, *line, path, &here(), modules);
                    }
                    i = next;
                    continue;
                }
            }
            Token::Str(content)
                if content.starts_with("crate::") && names_a_function(&tokens, i) =>
            {
                let path: String = content
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                push(
                    &mut found,
                    *line,
                    path.trim_end_matches(':').to_owned(),
                    &here(),
                    modules,
                );
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// Whether the string at token `i` is the value of serde's `deserialize_with`, `serialize_with`
/// or `with`: a function that the derive calls.
fn names_a_function(tokens: &[(usize, Token)], i: usize) -> bool {
    i >= 2
        && tokens[i - 1].1 == Token::Punct('=')
        && matches!(&tokens[i - 2].1, Token::Ident(key) if ["deserialize_with", "serialize_with", "with"].contains(&key.as_str()))
}

/// The path `a::b::c` that starts at token `i`, and the index after it.
fn path_at(tokens: &[(usize, Token)], mut i: usize) -> (String, usize) {
    let mut path = String::new();
    while let Some((_, Token::Ident(word))) = tokens.get(i) {
        path.push_str(word);
        i += 1;
        let colons = tokens.get(i).map(|t| &t.1) == Some(&Token::Punct(':'))
            && tokens.get(i + 1).map(|t| &t.1) == Some(&Token::Punct(':'));
        if colons && matches!(tokens.get(i + 2).map(|t| &t.1), Some(Token::Ident(_))) {
            path.push_str("::");
            i += 2;
        } else {
            break;
        }
    }
    (path, i)
}

/// Spells out a use tree (`a::{b, c::{self, d}}`, `e as f`, `*`) into whole paths, each with
/// the line of its last name.
fn use_tree(tokens: &[(usize, Token)], prefix: &str, out: &mut Vec<(usize, String)>) {
    let join = |prefix: &str, part: &str| {
        if prefix.is_empty() {
            part.to_owned()
        } else {
            format!("{prefix}::{part}")
        }
    };
    let mut path = prefix.to_owned();
    let mut line = tokens.first().map_or(0, |t| t.0);
    let mut named = false;
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i].1 {
            // `as` and the name it gives.
            Token::Ident(word) if word == "as" => i += 1,
            // `{self, …}`: the path before the braces.
            Token::Ident(word) if word == "self" && !prefix.is_empty() => {
                line = tokens[i].0;
                named = true;
            }
            Token::Ident(word) => {
                path = join(&path, word);
                line = tokens[i].0;
                named = true;
            }
            Token::Punct('*') => {
                path = join(&path, "*");
                line = tokens[i].0;
                named = true;
            }
            Token::Punct('{') => {
                let mut depth = 0;
                let mut item_start = i + 1;
                for j in i..tokens.len() {
                    match tokens[j].1 {
                        Token::Punct('{') => depth += 1,
                        Token::Punct('}') => {
                            depth -= 1;
                            if depth == 0 {
                                use_tree(&tokens[item_start..j], &path, out);
                                return;
                            }
                        }
                        Token::Punct(',') if depth == 1 => {
                            use_tree(&tokens[item_start..j], &path, out);
                            item_start = j + 1;
                        }
                        _ => {}
                    }
                }
                return;
            }
            _ => {}
        }
        i += 1;
    }
    if named {
        out.push((line, path));
    }
}

/// Records `path`, written in module `here`, when it names a file of the crate.
fn push(found: &mut Vec<Import>, line: usize, path: String, here: &[String], modules: &Modules) {
    let mut segments: Vec<&str> = path.split("::").collect();
    let mut module: Vec<String> = match segments.first().copied() {
        Some("crate") => {
            segments.remove(0);
            Vec::new()
        }
        Some("self") => {
            segments.remove(0);
            here.to_vec()
        }
        Some("super") => {
            let mut m = here.to_vec();
            while segments.first() == Some(&"super") {
                segments.remove(0);
                m.pop();
            }
            m
        }
        _ => return,
    };
    module.extend(
        segments
            .iter()
            .filter(|s| **s != "*")
            .map(|s| (*s).to_owned()),
    );
    if let Some(target) = modules.file_of(&module) {
        found.push(Import {
            line,
            path,
            target: target.clone(),
        });
    }
}

/// The sets of two or more files that reach each other through their imports (Tarjan).
fn strongly_connected(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !state.index.contains_key(v.as_str()) {
            visit(&mut state, v);
        }
    }
    state.found
}

/// The one module that writes `fund_years`: the budget's rules live in one place.
const BUDGET: &str = "src/funds/budget.rs";

/// The scale seed loads volumes for load tests straight into the tables, past every service, and
/// so may write the budget in bulk.
const BULK_WRITER: &str = "src/tooling/seed/";

#[test]
fn only_the_budget_writes_fund_years() {
    let writes: Vec<String> = sources()
        .iter()
        .filter(|(file, _)| file.as_str() != BUDGET && !file.starts_with(BULK_WRITER))
        .flat_map(|(file, text)| {
            writes_of("fund_years", text)
                .into_iter()
                .map(move |(line, what)| format!("  {file}:{line}: {what}"))
        })
        .collect();
    assert!(
        writes.is_empty(),
        "`fund_years` is written only by {BUDGET}; these write it too:\n{}",
        writes.join("\n")
    );
    assert!(
        !writes_of("fund_years", &read(BUDGET)).is_empty(),
        "{BUDGET} is named as the writer of `fund_years` but writes nothing to it"
    );
}

/// The checker itself: a write spread over lines, one through an alias, one by path and one in
/// SQL are each found on the line where the statement starts; reads and comments are not.
#[test]
fn a_write_to_a_table_is_found_with_its_line() {
    let text = "use crate::db::schema::{fund_years as years, funds};\n\
                // diesel::update(fund_years::table)\n\
                fn a() { fund_years::table.find(1).first(conn); }\n\
                fn b() { diesel::update(\n    fund_years::table.find(1),\n).execute(c); }\n\
                fn c() { diesel::insert_into(years::table).values(v); }\n\
                fn d() { diesel::delete(crate::db::schema::fund_years::table); }\n\
                fn e() { sql_query(\"UPDATE  fund_years SET paid_pence = 0\"); }\n\
                fn f() { diesel::update(funds::table).set(x); }\n";
    let found: Vec<usize> = writes_of("fund_years", text)
        .into_iter()
        .map(|(line, _)| line)
        .collect();
    assert_eq!(found, vec![4, 7, 8, 9]);
}

/// Each statement in `text` that writes `table` (diesel's `update`, `insert_into`, `delete`,
/// `replace_into`, `insert_or_ignore_into`, under its own name or an alias from a `use`, or SQL
/// in a string), as its line and the statement's start.
fn writes_of(table: &str, text: &str) -> Vec<(usize, String)> {
    let code: String = text
        .lines()
        .map(|line| {
            if line.trim_start().starts_with("//") {
                ""
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    // The text without white space, each character with its line.
    let packed: Vec<(char, usize)> = code
        .lines()
        .enumerate()
        .flat_map(|(n, line)| {
            line.chars()
                .filter(|c| !c.is_whitespace())
                .map(move |c| (c, n + 1))
        })
        .collect();
    let flat: String = packed.iter().map(|(c, _)| *c).collect();
    let mut names = vec![table.to_owned()];
    let alias = format!("{table}as");
    let mut from = 0;
    while let Some(at) = flat[from..].find(&alias) {
        let start = from + at + alias.len();
        let name: String = flat[start..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            names.push(name);
        }
        from = start;
    }
    let mut found = Vec::new();
    for verb in [
        "update(",
        "insert_into(",
        "delete(",
        "replace_into(",
        "insert_or_ignore_into(",
    ] {
        let mut from = 0;
        while let Some(at) = flat[from..].find(verb) {
            let start = from + at;
            let after = start + verb.len();
            let path: String = flat[after..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let preceded = flat[..start]
                .chars()
                .next_back()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
            if preceded && path.split("::").any(|s| names.iter().any(|n| n == s)) {
                found.push((packed[start].1, format!("{verb}{path}")));
            }
            from = after;
        }
    }
    for (n, line) in code.lines().enumerate() {
        let spaced = line
            .to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        for verb in ["update", "insert into", "delete from"] {
            if spaced.contains(&format!("\"{verb} {table}"))
                || spaced.contains(&format!(" {verb} {table} "))
            {
                found.push((n + 1, format!("SQL {verb} {table}")));
            }
        }
    }
    found.sort();
    found.dedup();
    found
}
