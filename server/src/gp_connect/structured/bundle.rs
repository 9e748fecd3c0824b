//! The structured record's Bundle as an index: each entry's resource by `Type/id` and by
//! `fullUrl`, every reference rewritten to the `Type/id` of the entry it names (so `urn:uuid:`
//! and relative references read alike), and references to people and places given the
//! display the timeline shows (their targets are never shown otherwise).

use serde_json::{Map, Value};
use std::collections::HashMap;

/// One resource of the Bundle, as sent (references already rewritten by [`Index::new`]).
#[derive(Debug)]
pub(super) struct Item {
    /// `resourceType`; empty when the resource has none.
    pub kind: String,
    /// `Type/id`, when the resource has an id.
    pub key: Option<String>,
    pub resource: Value,
}

/// Every entry of the Bundle, findable by the references other entries make.
#[derive(Debug, Default)]
pub(super) struct Index {
    pub items: Vec<Item>,
    by_key: HashMap<String, usize>,
    by_url: HashMap<String, usize>,
}

/// Words that stand in a reference for a whole clinical area the provider does not share
/// ("Referral items are not supported by the provider system", "... have been disabled").
const NOT_SUPPORTED: [&str; 2] = [
    "items are not supported by the provider system",
    "items have been disabled",
];

/// The area words of a reference that stands for an unshared clinical area ("Referral").
pub(super) fn unshared_area(words: &str) -> Option<&str> {
    let lower = words.to_lowercase();
    NOT_SUPPORTED.iter().find_map(|phrase| {
        let at = lower.find(phrase)?;
        Some(words[..at].trim())
    })
}

impl Index {
    /// Indexes `entries` (the Bundle's `entry` array); entries without a resource object are
    /// counted in `unreadable`. References are then rewritten and displays filled.
    pub fn new(entries: &[Value]) -> (Self, usize) {
        let mut index = Index::default();
        let mut unreadable = 0;
        for entry in entries {
            let Some(resource) = entry.get("resource").filter(|r| r.is_object()) else {
                unreadable += 1;
                continue;
            };
            let kind = text(resource, "resourceType")
                .unwrap_or_default()
                .to_owned();
            let key = text(resource, "id")
                .filter(|id| !id.is_empty() && !kind.is_empty())
                .map(|id| format!("{kind}/{id}"));
            let at = index.items.len();
            if let Some(key) = &key {
                index.by_key.entry(key.clone()).or_insert(at);
            }
            if let Some(url) = text(entry, "fullUrl").filter(|u| !u.is_empty()) {
                index.by_url.entry(url.to_owned()).or_insert(at);
            }
            index.items.push(Item {
                kind,
                key,
                resource: resource.clone(),
            });
        }
        index.rewrite_references();
        (index, unreadable)
    }

    /// The `Type/id` a reference names: the entry whose `fullUrl` it is, else its last two
    /// path segments (relative, absolute or with `_history`). `None` for a contained (`#x`)
    /// reference or words.
    pub fn key_of(&self, reference: &str) -> Option<String> {
        let reference = reference.trim();
        if let Some(at) = self.by_url.get(reference) {
            return self.items[*at].key.clone();
        }
        if reference.starts_with('#') || reference.starts_with("urn:") {
            return None;
        }
        let path = reference.split("/_history/").next()?.trim_end_matches('/');
        let mut segments = path.rsplit('/');
        let id = segments
            .next()
            .filter(|s| !s.is_empty() && !s.contains(' '))?;
        let kind = segments
            .next()
            .filter(|t| t.chars().next().is_some_and(char::is_uppercase))?;
        Some(format!("{kind}/{id}"))
    }

    /// The entry a reference names, when the Bundle holds it.
    pub fn get(&self, reference: &str) -> Option<&Item> {
        let key = self.key_of(reference)?;
        self.by_key.get(&key).map(|at| &self.items[*at])
    }

    /// Every resource of one type.
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Item> {
        self.items.iter().filter(move |i| i.kind == kind)
    }

    /// Rewrites every reference in every resource (see the module comment).
    fn rewrite_references(&mut self) {
        let names = self.display_names();
        let resolved: Vec<Value> = self
            .items
            .iter()
            .map(|item| {
                let mut resource = item.resource.clone();
                self.rewrite(&mut resource, &names);
                resource
            })
            .collect();
        for (item, resource) in self.items.iter_mut().zip(resolved) {
            item.resource = resource;
        }
    }

    fn rewrite(&self, value: &mut Value, names: &HashMap<String, String>) {
        match value {
            Value::Object(map) => {
                self.rewrite_reference(map, names);
                for (_, v) in map.iter_mut() {
                    self.rewrite(v, names);
                }
            }
            Value::Array(list) => list.iter_mut().for_each(|v| self.rewrite(v, names)),
            _ => {}
        }
    }

    /// One `Reference`: to `Type/id` when it names an entry; words in place of a reference
    /// moved to `display`; a person's or place's name as its display when it has none.
    fn rewrite_reference(&self, map: &mut Map<String, Value>, names: &HashMap<String, String>) {
        let Some(reference) = map
            .get("reference")
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
            return;
        };
        if unshared_area(&reference).is_some() {
            map.remove("reference");
            map.entry("display").or_insert(Value::String(reference));
            return;
        }
        let Some(key) = self.key_of(&reference) else {
            return;
        };
        let has_display = map
            .get("display")
            .and_then(Value::as_str)
            .is_some_and(|d| !d.trim().is_empty());
        if !has_display {
            if let Some(name) = names.get(&key) {
                map.insert("display".to_owned(), Value::String(name.clone()));
            }
        }
        map.insert("reference".to_owned(), Value::String(key));
    }

    /// The names of the people, roles, organisations and places in the Bundle, by `Type/id`.
    fn display_names(&self) -> HashMap<String, String> {
        let mut names = HashMap::new();
        for item in &self.items {
            let Some(key) = &item.key else { continue };
            let name = match item.kind.as_str() {
                "Practitioner" => person_name(&item.resource),
                "Organization" | "Location" => text(&item.resource, "name").map(str::to_owned),
                _ => None,
            };
            if let Some(name) = name.filter(|n| !n.trim().is_empty()) {
                names.insert(key.clone(), name);
            }
        }
        for item in self.of_kind("PractitionerRole") {
            let Some(key) = &item.key else { continue };
            let practitioner = item
                .resource
                .pointer("/practitioner/reference")
                .and_then(Value::as_str)
                .and_then(|r| self.key_of(r))
                .and_then(|k| names.get(&k).cloned());
            if let Some(name) = practitioner {
                names.insert(key.clone(), name);
            }
        }
        names
    }
}

/// A string element of an object.
pub(super) fn text<'a>(value: &'a Value, name: &str) -> Option<&'a str> {
    value.get(name).and_then(Value::as_str)
}

/// A Practitioner's name in the NHS form for staff: prefix, given names, FAMILY
/// (`Dr Jane SMITH`); the `usual` or `official` name first, else the first.
pub(super) fn person_name(practitioner: &Value) -> Option<String> {
    let names = practitioner.get("name")?.as_array()?;
    let chosen = names
        .iter()
        .find(|n| matches!(text(n, "use"), Some("usual" | "official")))
        .or_else(|| names.first())?;
    let words = |name: &str| -> Vec<String> {
        chosen
            .get(name)
            .and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut parts = words("prefix");
    parts.extend(words("given"));
    if let Some(family) = text(chosen, "family").filter(|f| !f.trim().is_empty()) {
        parts.push(family.trim().to_uppercase());
    }
    let parts: Vec<String> = parts
        .into_iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() {
        return text(chosen, "text").map(str::to_owned);
    }
    Some(parts.join(" "))
}
