//! The one HTML policy for clinical content the portal shows (documents' HTML and XHTML, and
//! `Resource.text.div` narratives): structure and emphasis kept, everything that could run,
//! load, submit, restyle, hide or lead out of the portal removed.
//!
//! Kept, because clinical letters need them to be read correctly: headings, paragraphs, line
//! breaks, lists (including definition lists), tables (with `colspan`, `rowspan`, `scope`),
//! emphasis (`strong`, `b`, `em`, `i`, `u`, `s`, `sub`, `sup`, `small`, `mark`), quotations,
//! preformatted text and `abbr` with its `title`; `lang` anywhere.
//!
//! Removed with their content: `script`, `style`, `iframe`, `frame(set)`, `object`, `embed`,
//! `applet`, `template`, `noscript`, `svg`, `math`, `canvas`, `audio`, `video`, `title`.
//! Removed, keeping their text: every other element, including `a` (a link could leave the
//! portal, or point at a portal address with the clinician's session), `img` (an external
//! image tells a third party the document was opened; an inline one could show anything),
//! `form`, `input`, `button`, `link`, `meta`, `base`. Removed attributes: all but those
//! listed, so no event handler (`on*`), `style`, `class` (portal styles could hide text or
//! imitate the portal), `id`/`name` (DOM clobbering), `href`/`src`. Comments are dropped.
//! The page that shows the result also forbids all scripts (Content-Security-Policy), so a
//! gap here would still not run.

use ammonia::Builder;
use std::collections::{HashMap, HashSet};

const KEPT: &[&str] = &[
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "p",
    "br",
    "hr",
    "div",
    "span",
    "section",
    "article",
    "header",
    "footer",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "table",
    "caption",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "colgroup",
    "col",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "s",
    "sub",
    "sup",
    "small",
    "mark",
    "blockquote",
    "q",
    "pre",
    "code",
    "abbr",
    "address",
];

const REMOVED_WITH_CONTENT: &[&str] = &[
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "template",
    "noscript", "svg", "math", "canvas", "audio", "video", "title",
];

fn policy() -> Builder<'static> {
    let attributes: HashMap<&'static str, HashSet<&'static str>> = [
        ("th", &["colspan", "rowspan", "scope"][..]),
        ("td", &["colspan", "rowspan"][..]),
        ("col", &["span"][..]),
        ("colgroup", &["span"][..]),
        ("ol", &["start"][..]),
        ("abbr", &["title"][..]),
    ]
    .into_iter()
    .map(|(tag, attrs)| (tag, attrs.iter().copied().collect()))
    .collect();
    let mut builder = Builder::empty();
    builder
        .tags(KEPT.iter().copied().collect())
        .clean_content_tags(REMOVED_WITH_CONTENT.iter().copied().collect())
        .generic_attributes(["lang"].into_iter().collect())
        .tag_attributes(attributes)
        .url_schemes(HashSet::new())
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(None)
        .strip_comments(true);
    builder
}

/// A document's HTML (or XHTML), cleaned by the policy above, as an HTML fragment.
pub fn clinical_html(html: &str) -> String {
    policy().clean(html).to_string()
}

/// A `Resource.text.div` narrative (XHTML), cleaned by the same policy. The entry panel shows
/// narratives only as cleaned here (when the resource is read, [`crate::fhir::normalise`]).
pub fn narrative(div: &str) -> String {
    clinical_html(div)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_probe_is_removed() {
        // (probe, what must not survive)
        let table = [
            ("<script>window.__xss=1</script>", "script"),
            ("<script>window.__xss=1</script>", "__xss"),
            (r#"<img src=x onerror="window.__xss=2">"#, "onerror"),
            (r#"<img src=x onerror="window.__xss=2">"#, "<img"),
            (
                r#"<a href="javascript:window.__xss=3">open</a>"#,
                "javascript:",
            ),
            (r#"<a href="javascript:window.__xss=3">open</a>"#, "href"),
            (
                r#"<a href="https://evil.example/">here</a>"#,
                "evil.example",
            ),
            (r#"<a href="/auth/signout">here</a>"#, "signout"),
            (r#"<iframe src="https://evil.example/"></iframe>"#, "iframe"),
            (r#"<iframe srcdoc="<script>x</script>"></iframe>"#, "srcdoc"),
            (r#"<object data="x.swf"></object>"#, "object"),
            (r#"<embed src="x.swf">"#, "embed"),
            (r#"<p style="display:none">hidden</p>"#, "style"),
            (r#"<p class="hidden">hidden</p>"#, "class"),
            (r#"<style>p { display: none }</style>"#, "display"),
            (
                r#"<img src="https://tracker.example/pixel.png">"#,
                "tracker.example",
            ),
            (
                r#"<form action="https://evil.example/"><input name=q><button>Send</button></form>"#,
                "form",
            ),
            (
                r#"<form action="https://evil.example/"><input name=q></form>"#,
                "input",
            ),
            (r#"<svg onload="window.__xss=5"></svg>"#, "svg"),
            (
                r#"<math><mi xlink:href="javascript:1">x</mi></math>"#,
                "javascript",
            ),
            (r#"<p onclick="window.__xss=6">text</p>"#, "onclick"),
            (r#"<body onload="window.__xss=7">text</body>"#, "onload"),
            (
                r#"<meta http-equiv="refresh" content="0;url=https://evil.example/">"#,
                "refresh",
            ),
            (r#"<base href="https://evil.example/">"#, "base"),
            (
                r#"<link rel=stylesheet href="https://evil.example/x.css">"#,
                "stylesheet",
            ),
            (r#"<p id="csrf_token">x</p>"#, "csrf_token"),
            ("<!-- a comment --><p>x</p>", "comment"),
            (
                r#"<div xmlns="http://www.w3.org/1999/xhtml" onmouseover="x()">n</div>"#,
                "onmouseover",
            ),
            (
                r#"<table background="https://evil.example/b.png"><tr><td>x</td></tr></table>"#,
                "evil.example",
            ),
            (r#"<p>a</p><noscript><img src=x></noscript>"#, "img"),
            (r#"<template><script>x</script></template>"#, "script"),
            ("<scr<script>ipt>alert(1)</script>", "<script"),
        ];
        for (probe, banned) in table {
            let cleaned = clinical_html(probe);
            assert!(
                !cleaned.to_lowercase().contains(banned),
                "{probe:?} left {banned:?} in {cleaned:?}"
            );
        }
    }

    #[test]
    fn a_narrative_keeps_its_text_and_loses_every_probe() {
        let div = concat!(
            r#"<div xmlns="http://www.w3.org/1999/xhtml">"#,
            "<p><b>Asthma</b>, since childhood.</p>",
            "<script>window.__xss=1</script>",
            r#"<img src="x" onerror="window.__xss=2">"#,
            r#"<p><a href="javascript:window.__xss=3">Action plan</a></p>"#,
            "<style>p { display: none }</style>",
            r#"<iframe src="javascript:window.__xss=4"></iframe>"#,
            r#"<img src="http://tracker.example/pixel.png">"#,
            r#"<form action="https://evil.example/"><input name="q"></form>"#,
            r#"<p onclick="window.__xss=5" style="color:red">Reviewed yearly.</p>"#,
            "</div>"
        );
        let cleaned = narrative(div);
        assert_eq!(
            cleaned,
            "<div><p><b>Asthma</b>, since childhood.</p><p>Action plan</p><p>Reviewed yearly.</p></div>"
        );
        for banned in [
            "script",
            "__xss",
            "onerror",
            "onclick",
            "<img",
            "javascript",
            "style",
            "iframe",
            "tracker",
            "form",
            "input",
            "href",
            "src",
        ] {
            assert!(!cleaned.contains(banned), "{banned} in {cleaned}");
        }
    }

    #[test]
    fn the_clinical_structure_is_kept() {
        // (input, output)
        let table = [
            ("<h1>Discharge summary</h1>", "<h1>Discharge summary</h1>"),
            (
                "<h2>Diagnoses</h2><p>Pneumonia</p>",
                "<h2>Diagnoses</h2><p>Pneumonia</p>",
            ),
            (
                "<ul><li>Amoxicillin</li><li>Paracetamol</li></ul>",
                "<ul><li>Amoxicillin</li><li>Paracetamol</li></ul>",
            ),
            (
                r#"<ol start="3"><li>c</li></ol>"#,
                r#"<ol start="3"><li>c</li></ol>"#,
            ),
            (
                r#"<table><thead><tr><th scope="col">Medicine</th></tr></thead><tbody><tr><td colspan="2">Apixaban 5 mg</td></tr></tbody></table>"#,
                r#"<table><thead><tr><th scope="col">Medicine</th></tr></thead><tbody><tr><td colspan="2">Apixaban 5 mg</td></tr></tbody></table>"#,
            ),
            (
                "<p><strong>Stopped</strong> <em>on admission</em><br>GI bleed</p>",
                "<p><strong>Stopped</strong> <em>on admission</em><br>GI bleed</p>",
            ),
            (
                r#"<p><a href="javascript:x()">Follow-up</a> in clinic</p>"#,
                "<p>Follow-up in clinic</p>",
            ),
            (
                r#"<p lang="cy" style="color:red">Bore da</p>"#,
                r#"<p lang="cy">Bore da</p>"#,
            ),
            (
                r#"<div xmlns="http://www.w3.org/1999/xhtml"><p>Narrative</p></div>"#,
                "<div><p>Narrative</p></div>",
            ),
            (
                r#"<abbr title="as required">PRN</abbr>"#,
                r#"<abbr title="as required">PRN</abbr>"#,
            ),
            (
                "<p>Before<script>window.__xss=1</script>after</p>",
                "<p>Beforeafter</p>",
            ),
            (
                "<p>5 &lt; 6 &amp; 7 &gt; 2</p>",
                "<p>5 &lt; 6 &amp; 7 &gt; 2</p>",
            ),
        ];
        for (input, expected) in table {
            assert_eq!(clinical_html(input), expected, "{input}");
        }
        assert_eq!(
            narrative(
                r#"<div xmlns="http://www.w3.org/1999/xhtml"><b>Asthma</b><img src="x" onerror="y()"></div>"#
            ),
            "<div><b>Asthma</b></div>"
        );
    }
}
