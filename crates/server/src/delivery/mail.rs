//! A reminder's content as an email: a plain-text part and an HTML part, from the templates in
//! `templates/email/`. Paragraphs show the numbers of the sources they rest on (`[1]`), and the
//! numbered sources are listed in full at the end, as on the pages.

use askama::Template;

/// What a reminder email says. The words come from the caller, already in the reader's language.
#[derive(Debug, Clone, Default)]
pub struct ReminderMail {
    /// Who it is from, shown above the heading and in the footer.
    pub clinic: String,
    pub heading: String,
    pub paragraphs: Vec<MailParagraph>,
    /// One call to action: its label and its URL.
    pub action: Option<(String, String)>,
    /// Full citations, numbered 1, 2, … in this order.
    pub sources: Vec<String>,
    /// The footer links to it (the header goes on [`super::Email::unsubscribe_url`]).
    pub unsubscribe_url: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct MailParagraph {
    pub text: String,
    /// 1-based numbers into [`ReminderMail::sources`]; numbers outside it are left out.
    pub sources: Vec<usize>,
}

/// The text and the HTML of the email.
pub fn render_mail(m: &ReminderMail) -> (String, String) {
    let refs = |p: &MailParagraph| {
        p.sources.iter().filter(|n| (1..=m.sources.len()).contains(*n)).map(|n| format!("[{n}]")).collect::<String>()
    };
    let link = |label: &str, url: &str| Link { label: label.to_string(), url: url.to_string(), linkable: is_web(url) };
    let action = m.action.as_ref().map(|(label, url)| link(label, url));
    let unsubscribe = m.unsubscribe_url.as_deref().map(|u| link("", u));

    let text = TextMail {
        clinic: &m.clinic,
        heading: &m.heading,
        underline: "=".repeat(m.heading.chars().count().clamp(3, WIDTH)),
        paragraphs: m
            .paragraphs
            .iter()
            .map(|p| {
                let r = refs(p);
                let joined = if r.is_empty() { p.text.clone() } else { format!("{} {r}", p.text) };
                wrap(&joined, WIDTH, "")
            })
            .collect(),
        action: action.as_ref(),
        sources: m.sources.iter().enumerate().map(|(i, s)| wrap(&format!("[{}] {s}", i + 1), WIDTH, "    ")).collect(),
        unsubscribe: m.unsubscribe_url.as_deref(),
    };
    let html = HtmlMail {
        clinic: &m.clinic,
        heading: &m.heading,
        paragraphs: m.paragraphs.iter().map(|p| HtmlParagraph { text: &p.text, refs: refs(p) }).collect(),
        action: action.as_ref(),
        sources: &m.sources,
        unsubscribe: unsubscribe.as_ref(),
    };
    let text = text.render().unwrap_or_else(|e| fallback(m, &e));
    let html = html.render().unwrap_or_else(|e| fallback(m, &e));
    (text, html)
}

/// Plain-text lines are wrapped at this many characters (long words such as URLs are not cut).
const WIDTH: usize = 72;

struct Link {
    label: String,
    url: String,
    /// An http(s) URL becomes a link; anything else is only shown.
    linkable: bool,
}

#[derive(Template)]
#[template(path = "email/reminder.txt")]
struct TextMail<'a> {
    clinic: &'a str,
    heading: &'a str,
    underline: String,
    paragraphs: Vec<String>,
    action: Option<&'a Link>,
    sources: Vec<String>,
    unsubscribe: Option<&'a str>,
}

struct HtmlParagraph<'a> {
    text: &'a str,
    refs: String,
}

#[derive(Template)]
#[template(path = "email/reminder.html")]
struct HtmlMail<'a> {
    clinic: &'a str,
    heading: &'a str,
    paragraphs: Vec<HtmlParagraph<'a>>,
    action: Option<&'a Link>,
    sources: &'a [String],
    unsubscribe: Option<&'a Link>,
}

fn is_web(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")) && !url.chars().any(char::is_whitespace)
}

/// Only if a template cannot be formatted (it always can): the heading and the paragraphs.
fn fallback(m: &ReminderMail, e: &askama::Error) -> String {
    tracing::error!(error = %e, "reminder email template failed");
    let mut out = format!("{}\n\n", m.heading);
    for p in &m.paragraphs {
        out.push_str(&p.text);
        out.push_str("\n\n");
    }
    out
}

/// `text` in lines of at most `width` characters (a longer word gets a line of its own), every
/// line after the first starting with `indent`.
fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line_len = 0;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if line_len > 0 && line_len + 1 + len > width {
            out.push('\n');
            out.push_str(indent);
            line_len = indent.chars().count();
        } else if line_len > 0 {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail() -> ReminderMail {
        ReminderMail {
            clinic: "Rivière & Sons Clinic".into(),
            heading: "Your check-in is due".into(),
            paragraphs: vec![
                MailParagraph { text: "Please tell us how the site looks <today>.".into(), sources: vec![1, 2] },
                MailParagraph { text: "Keep it dry.".into(), sources: vec![7] },
            ],
            action: Some(("Check in now".into(), "https://clinic.example/check-in?t=a&b=c".into())),
            sources: vec!["WHO. Aftercare guidance, 2024.".into(), "NICE CG1 \"quoted\" 2023.".into()],
            unsubscribe_url: Some("https://clinic.example/unsubscribe?t=xyz".into()),
        }
    }

    #[test]
    fn text_part_has_numbered_sources_action_and_unsubscribe() {
        let (text, _) = render_mail(&mail());
        assert!(text.starts_with("Rivière & Sons Clinic\n\nYour check-in is due\n===================="), "{text}");
        assert!(text.contains("Please tell us how the site looks <today>. [1][2]\n"), "{text}");
        assert!(text.contains("Keep it dry.\n"), "a number outside the sources is left out: {text}");
        assert!(!text.contains("[7]"));
        assert!(text.contains("Check in now:\nhttps://clinic.example/check-in?t=a&b=c\n"), "{text}");
        assert!(
            text.contains("Sources\n-------\n[1] WHO. Aftercare guidance, 2024.\n[2] NICE CG1 \"quoted\" 2023.\n"),
            "{text}"
        );
        assert!(text.contains("To stop them, open: https://clinic.example/unsubscribe?t=xyz"), "{text}");
        assert!(!text.contains("&amp;"), "plain text is not escaped");
        assert!(text.lines().all(|l| l.chars().count() <= 72), "{text}");
    }

    #[test]
    fn html_part_is_escaped_accessible_and_linked() {
        let (_, html) = render_mail(&mail());
        assert!(html.contains("<html lang=\"en\">"));
        assert!(html.contains("<h1 ") && html.contains(">Your check-in is due</h1>"));
        assert!(html.contains(">Rivière &#38; Sons Clinic</p>"), "{html}");
        assert!(html.contains("&#60;today&#62;. <span"), "{html}");
        assert!(html.contains(">[1][2]</span>"), "{html}");
        assert!(html.contains("href=\"https://clinic.example/check-in?t=a&#38;b=c\""), "{html}");
        assert!(html.contains("<h2 ") && html.contains("<ol "), "{html}");
        assert!(html.contains(">NICE CG1 &#34;quoted&#34; 2023.</li>"), "{html}");
        assert!(html.contains(">Stop these reminders</a>"));
        assert!(!html.contains("<style"), "inline styles only");
    }

    #[test]
    fn non_web_urls_are_shown_not_linked() {
        let m = ReminderMail {
            action: Some(("Open".into(), "javascript:alert(1)".into())),
            unsubscribe_url: None,
            sources: vec![],
            ..mail()
        };
        let (text, html) = render_mail(&m);
        assert!(!html.contains("href=\"javascript"), "{html}");
        assert!(html.contains("Open: javascript:alert(1)"));
        assert!(!html.contains("Sources") && !text.contains("Sources"));
        assert!(!html.contains("Stop these reminders") && !text.contains("To stop them"));
    }

    #[test]
    fn wrap_keeps_long_words_and_indents() {
        assert_eq!(wrap("aa bb cc", 5, ""), "aa bb\ncc");
        assert_eq!(
            wrap("[1] a https://very-long-url.example/x", 10, "    "),
            "[1] a\n    https://very-long-url.example/x"
        );
        assert_eq!(wrap("  a \n b ", 72, ""), "a b");
    }
}
