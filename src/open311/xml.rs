//! The XML of Open311's answers: elements holding text or other elements, written as UTF-8 with the
//! declaration, text escaped. Enough for the specification's documents, which have no attributes.

use std::fmt::{Display, Write};

/// One element: text, or child elements.
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    name: &'static str,
    text: Option<String>,
    children: Vec<Element>,
}

/// What can be written as one element.
pub trait ToXml {
    fn to_xml(&self) -> Element;
}

impl Element {
    pub fn new(name: &'static str) -> Element {
        Element { name, text: None, children: Vec::new() }
    }

    pub fn text(name: &'static str, text: impl Display) -> Element {
        Element { name, text: Some(text.to_string()), children: Vec::new() }
    }

    pub fn child(mut self, child: Element) -> Element {
        self.children.push(child);
        self
    }

    pub fn children(mut self, children: impl IntoIterator<Item = Element>) -> Element {
        self.children.extend(children);
        self
    }

    fn write(&self, out: &mut String) {
        let _ = write!(out, "<{}>", self.name);
        if let Some(text) = &self.text {
            escape(text, out);
        }
        for child in &self.children {
            child.write(out);
        }
        let _ = write!(out, "</{}>", self.name);
    }
}

fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters other than tab and line breaks are not allowed in XML 1.0.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
}

/// A document whose root is `root` (e.g. `services`) around `items`.
pub fn list<T: ToXml>(root: &'static str, items: &[T]) -> String {
    document(&Element::new(root).children(items.iter().map(ToXml::to_xml)))
}

/// The whole document of `root`.
pub fn document(root: &Element) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    root.write(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_control_characters_dropped() {
        let root = Element::new("errors").child(Element::text("description", "a < b & \"c\"\u{0}\n"));
        assert_eq!(
            document(&root),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><errors><description>a &lt; b &amp; &quot;c&quot;\n</description></errors>"
        );
    }
}
