//! One function per command: read the input, load the protocol, ask the engine, render.

use std::io::Read;
use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Utc};
use needlepath_core::Protocol;
use needlepath_core::protocol::{FindingSet, ProtocolError};
use needlepath_core::request::{CanIRequest, CheckIn, InputError, PlanRequest, ScreeningRequest};
use needlepath_core::suggest::nearest;
use needlepath_core::timeline::{AftercareRequest, Zone};
use needlepath_core::vocabulary::Finding;
use needlepath_core::{can_i, plan, screening, timeline, triage};
use serde::Serialize;
use serde_json::Value;

use crate::{Failure, Global, render};

type Out = Result<String, Failure>;

pub fn screen(g: &Global, file: Option<&Path>) -> Out {
    let p = load_protocol(g)?;
    let req = ScreeningRequest::from_json(&read_json(file)?, chrono::Local::now().date_naive())?;
    let result = screening::screen(&p, &req);
    output(g, &result, || render::screening(&p, &result))
}

pub fn triage(g: &Global, file: Option<&Path>) -> Out {
    let p = load_protocol(g)?;
    let req = CheckIn::from_json(&read_json(file)?)?;
    let result = triage::triage(&p, &req);
    output(g, &result, || render::triage(&result))
}

pub fn can_i(g: &Global, activity: &str, hours: &str) -> Out {
    let p = load_protocol(g)?;
    let h: f64 = hours.trim().parse().map_err(|_| {
        InputError::new("hours", format!("'{hours}' is not a number; give the hours since the session, e.g. --hours 6"))
    })?;
    let req = CanIRequest::parse(activity, h)?;
    let result = can_i::can_i(&p, &req);
    output(g, &result, || render::can_i(&result))
}

pub fn plan(g: &Global, file: Option<&Path>) -> Out {
    let p = load_protocol(g)?;
    let req = PlanRequest::from_json(&read_json(file)?)?;
    let result = plan::plan(&p, &req);
    output(g, &result, || render::plan(&result))
}

pub fn aftercare(g: &Global, treated_at: &str, tz: Option<&str>, findings: &[String], session_number: u32) -> Out {
    let p = load_protocol(g)?;
    let at = DateTime::parse_from_rfc3339(treated_at).map_err(|_| {
        InputError::new(
            "--treated-at",
            format!("'{treated_at}' is not an RFC 3339 time with an offset; write e.g. 2026-11-21T10:30:00+01:00 or 2026-11-21T09:30:00Z"),
        )
    })?;
    let zone = match tz {
        None => Zone::Fixed(*at.offset()),
        Some(name) => Zone::parse(name).map_err(|m| {
            let names: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|t| t.name()).collect();
            let hint = nearest(name, &names).map(|s| format!(" (did you mean '{s}'?)")).unwrap_or_default();
            InputError::new("--tz", format!("{m}{hint}"))
        })?,
    };
    let mut set = FindingSet::default();
    for (i, f) in findings.iter().enumerate() {
        let code = Finding::parse(f).map_err(|e| InputError::new(format!("--finding[{i}]"), e.to_string()))?;
        set.insert(code);
    }
    let req = AftercareRequest {
        treated_at: at.with_timezone(&Utc),
        zone,
        findings: set,
        session_number,
        check_in_days: None,
    };
    let result = timeline::timeline(&p, &req);
    output(g, &result, || render::timeline(&result))
}

pub fn protocol_check(g: &Global, file: &Path) -> Out {
    let text = read_file(file)?;
    // Checked against the built-in protocol's floor; should the built-in one itself be broken
    // (a development build), the file is still checked on its own.
    let base = builtin().ok();
    match Protocol::parse(&text, base.as_ref()) {
        Ok(p) => {
            let msg = format!(
                "{}: protocol '{}' version {} is valid ({} sources, {} conflicts recorded)\n",
                file.display(),
                p.id,
                p.version,
                p.sources.len(),
                p.conflicts.len()
            );
            if g.json {
                Ok(json(&serde_json::json!({"valid": true, "id": p.id, "version": p.version, "problems": []})))
            } else {
                Ok(msg)
            }
        }
        Err(e) => {
            // Every problem is printed: this is the command whose job is to list them all.
            for problem in &e.problems {
                eprintln!("{}:{problem}", file.display());
            }
            Err(Failure::Input(format!("{} has {} problem(s)", file.display(), e.problems.len())))
        }
    }
}

pub fn protocol_show(g: &Global) -> Out {
    let p = load_protocol(g)?;
    if g.json {
        // The identity and what changed; the full rules are the protocol file itself.
        return Ok(json(&serde_json::json!({
            "id": p.id, "version": p.version, "title": p.title, "extends": p.extends, "changelog": p.changelog,
        })));
    }
    Ok(render::protocol(&p))
}

fn builtin() -> Result<Protocol, Failure> {
    Protocol::builtin().map_err(|e| Failure::Other(anyhow::anyhow!("the built-in protocol is invalid: {e}")))
}

/// The built-in protocol, or a clinic's protocol checked against it.
fn load_protocol(g: &Global) -> Result<Protocol, Failure> {
    let base = builtin()?;
    let Some(path) = &g.protocol else {
        return Ok(base);
    };
    let text = read_file(path)?;
    Protocol::parse(&text, Some(&base)).map_err(|e| protocol_failure(path, &e))
}

fn protocol_failure(path: &Path, e: &ProtocolError) -> Failure {
    let first = e.problems.first().map(ToString::to_string).unwrap_or_default();
    let more = match e.problems.len() {
        0 | 1 => String::new(),
        n => format!(" ({} more; run `needlepath protocol check {}`)", n - 1, path.display()),
    };
    Failure::Input(format!("--protocol {}:{first}{more}", path.display()))
}

fn read_file(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display())).map_err(Failure::Other)
}

/// Reads a JSON request from a file, or from standard input when the file is absent or `-`.
fn read_json(file: Option<&Path>) -> Result<Value, Failure> {
    let bytes = match file {
        Some(f) if f != Path::new("-") => {
            std::fs::read(f).with_context(|| format!("cannot read {}", f.display())).map_err(Failure::Other)?
        }
        _ => {
            let mut buf = Vec::new();
            std::io::stdin().read_to_end(&mut buf).context("cannot read standard input").map_err(Failure::Other)?;
            buf
        }
    };
    // Bytes that are not UTF-8 are a malformed request (e.g. saved as UTF-16), not a failure.
    let text = String::from_utf8(bytes).map_err(|e| {
        InputError::new(
            "(request)",
            format!(
                "the input is not UTF-8 text (invalid byte at offset {}); save the JSON as UTF-8",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    if text.trim().is_empty() {
        return Err(InputError::new("(request)", "the input is empty; expected a JSON object").into());
    }
    serde_json::from_str(&text).map_err(|e| InputError::new("(request)", format!("malformed JSON: {e}")).into())
}

fn json<T: Serialize>(v: &T) -> String {
    // Serializing plain data to a string cannot fail; an empty object is the safe fallback.
    let mut s = serde_json::to_string_pretty(v).unwrap_or_else(|_| "{}".to_owned());
    s.push('\n');
    s
}

fn output<T: Serialize>(g: &Global, v: &T, text: impl FnOnce() -> String) -> Out {
    Ok(if g.json { json(v) } else { text() })
}
