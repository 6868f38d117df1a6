//! Tests that read the service's own source: who imports whom
//! (the dependency rules, written down in
//! `docs/architecture.md`), and the helpers other source-reading tests use.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
pub(crate) fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The source without its test module (what ships).
fn shipped(text: &str) -> &str {
    match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    }
}

/// The service modules a source file names through `crate::…`, including
/// `crate::{a, b::c}` groups. Names starting with a capital are the crate
/// root's own items (`Services`, `ServiceError`) and are left out.
fn named_modules(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let items: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let end = group
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(group.len(), |(j, _)| j);
            // Top-level items of the group only.
            let mut items = Vec::new();
            let mut depth = 0;
            let mut start = 0;
            for (j, c) in group[..end].char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        items.push(&group[start..j]);
                        start = j + 1;
                    }
                    _ => {}
                }
            }
            items.push(&group[start..end]);
            items
        } else {
            vec![rest]
        };
        for item in items {
            let path: String = item
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            if path.starts_with(|c: char| c.is_ascii_lowercase()) {
                found.insert(module_of(path.split("::").filter(|p| !p.is_empty())));
            }
        }
    }
    // A module's use cases reached through its handle (`self.risk().…`,
    // `services.workflow().…`) are a use of that module too.
    for (module, _) in ALLOWED {
        if !module.contains("::") && text.contains(&format!(".{module}()")) {
            found.insert(module.to_string());
        }
    }
    found
}

/// Which service modules each may use. A module is a file or folder under
/// `src/`; a few sub-modules have a layer of their own and are named
/// `parent::child` (the one writer of an application's status sits under
/// the engines, the use cases of its module above them). The layers,
/// bottom up: the foundation (`error`, `sql`, `db`, `session_store`, `pfi`
/// and the customer's row in `customers`), identity and the log (`auth`,
/// `audit`, `sms`, `staff`, `throttle`, `totp`), the application's status
/// (`applications::status`), the engines and the catalogue (`risk`,
/// `workflow`, `products`), the use cases built on them (`applications`,
/// `servicing`, `loans`, `precredit`, `dashboard`, `customers::portrait`),
/// and the demo loader on top. Nothing imports `demo` or the portrait;
/// `workflow` never reaches the decision engine or servicing.
const ALLOWED: &[(&str, &[&str])] = &[
    ("error", &[]),
    ("pfi", &["error"]),
    ("customers", &["error", "pfi", "sql"]),
    ("reseal", &["audit", "error", "pfi", "sql"]),
    ("sql", &["error"]),
    ("db", &["error"]),
    ("uploads", &["db", "error", "pfi"]),
    ("session_store", &["db", "error"]),
    ("throttle", &["error", "sql", "db"]),
    ("totp", &["db", "error"]),
    ("audit", &["auth", "error", "sql", "db"]),
    (
        "auth",
        &[
            "audit",
            "db",
            "error",
            "pfi",
            "session_store",
            "sql",
            "throttle",
            "totp",
        ],
    ),
    ("sms", &["auth", "db", "error", "pfi", "sql"]),
    (
        "staff",
        &[
            "audit",
            "auth",
            "db",
            "error",
            "pfi",
            "sql",
            "session_store",
            "totp",
        ],
    ),
    ("applications::status", &["error", "sql", "db"]),
    (
        "workflow",
        &[
            "applications::status",
            "audit",
            "auth",
            "customers",
            "db",
            "error",
            "pfi",
            "sql",
        ],
    ),
    (
        "risk",
        &["audit", "auth", "customers", "db", "error", "pfi", "sql"],
    ),
    (
        "products",
        &["audit", "auth", "customers", "db", "error", "sql"],
    ),
    (
        "applications",
        &[
            "applications::status",
            "audit",
            "auth",
            "contracts",
            "customers",
            "db",
            "error",
            "notices",
            "pfi",
            "products",
            "risk",
            "servicing",
            "sql",
            "workflow",
        ],
    ),
    (
        "servicing",
        &[
            "audit", "auth", "db", "error", "pfi", "products", "risk", "sql",
        ],
    ),
    ("loans", &["auth", "db", "error", "servicing", "sql"]),
    ("notices", &["auth", "db", "error", "pfi", "sms", "sql"]),
    (
        "visits",
        &[
            "applications::status",
            "audit",
            "auth",
            "db",
            "error",
            "sql",
        ],
    ),
    (
        "contracts",
        &[
            "audit",
            "auth",
            "customers",
            "db",
            "error",
            "pfi",
            "sql",
            "workflow",
        ],
    ),
    (
        "precredit",
        &[
            "audit",
            "auth",
            "customers",
            "db",
            "error",
            "pfi",
            "risk",
            "servicing",
            "sql",
        ],
    ),
    ("dashboard", &["auth", "db", "error", "sql"]),
    (
        "onboarding",
        &[
            "audit",
            "auth",
            "customers",
            "db",
            "error",
            "pfi",
            "sql",
            "uploads",
        ],
    ),
    (
        "customers::portrait",
        &[
            "applications",
            "audit",
            "auth",
            "customers",
            "db",
            "error",
            "loans",
            "risk",
            "sql",
        ],
    ),
    (
        "demo",
        &[
            "applications",
            "applications::status",
            "audit",
            "auth",
            "customers",
            "db",
            "error",
            "onboarding",
            "pfi",
            "products",
            "risk",
            "servicing",
            "sql",
            "staff",
            "workflow",
        ],
    ),
];

/// The module a path under `src/` (or a `crate::` path's segments) belongs
/// to: `parent::child` when that sub-module has a layer of its own in
/// [`ALLOWED`], else the top-level module.
fn module_of<'a>(mut segments: impl Iterator<Item = &'a str>) -> String {
    let first = segments.next().unwrap_or("").trim_end_matches(".rs");
    if let Some(second) = segments.next() {
        let nested = format!("{first}::{}", second.trim_end_matches(".rs"));
        if ALLOWED.iter().any(|(m, _)| *m == nested) {
            return nested;
        }
    }
    first.to_string()
}

/// Imports that break the rules today, each to be removed by the lifecycle
/// work (issue 15): listed so that no new one can appear, and checked to
/// still exist so that the list stays true.
const TANGLES: &[(&str, &str, &str)] = &[];

fn actual_imports() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&root).unwrap_or(&f);
        let module = module_of(rel.components().filter_map(|c| c.as_os_str().to_str()));
        if module == "lib" || module == "source_scan" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        let used = named_modules(shipped(&text));
        let entry = graph.entry(module.clone()).or_default();
        entry.extend(used.into_iter().filter(|m| *m != module));
    }
    graph
}

#[test]
fn the_scanner_reads_single_and_grouped_imports() {
    let text = "use crate::audit::{self, X};\nuse crate::{sql, ServiceError, Services};\n\
                let x = crate::workflow::adopt::adopt_flows(a);\n\
                use crate::{risk::{bureau, features}, db};";
    let names: Vec<String> = named_modules(text).into_iter().collect();
    assert_eq!(names, ["audit", "db", "risk", "sql", "workflow"]);
    let nested = "use crate::applications::status::{self, Seen};\nuse crate::applications::X;";
    let names: Vec<String> = named_modules(nested).into_iter().collect();
    assert_eq!(names, ["applications", "applications::status"]);
    let handle = "let d = self.risk().full_decision(s, id).await?;";
    let names: Vec<String> = named_modules(handle).into_iter().collect();
    assert_eq!(names, ["risk"]);
}

/// The dependency rules of `docs/architecture.md`, enforced.
#[test]
fn modules_import_only_what_the_layers_allow() {
    let graph = actual_imports();
    assert!(graph.len() > 15, "the sources were not found: {graph:?}");
    let allowed: BTreeMap<&str, BTreeSet<&str>> = ALLOWED
        .iter()
        .map(|(m, deps)| (*m, deps.iter().copied().collect()))
        .collect();
    let mut broken = Vec::new();
    for (module, used) in &graph {
        let Some(ok) = allowed.get(module.as_str()) else {
            broken.push(format!(
                "{module}: a new module; give it a place in ALLOWED"
            ));
            continue;
        };
        for dep in used {
            let tangle = TANGLES.iter().any(|(m, d, _)| m == module && d == dep);
            if !ok.contains(dep.as_str()) && !tangle {
                broken.push(format!("{module} -> {dep}"));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "imports against the layers (docs/architecture.md):\n{}",
        broken.join("\n")
    );
    for (m, d, why) in TANGLES {
        assert!(
            graph.get(*m).is_some_and(|used| used.contains(*d)),
            "{m} -> {d} ({why}) is gone: remove it from TANGLES"
        );
    }
}
