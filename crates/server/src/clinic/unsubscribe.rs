//! The unsubscribe link of a reminder e-mail, as a capability only the e-mail holds.
//!
//! The link used to be `/unsubscribe/{message id}`, and staff (the message list) and the SMS
//! gateway (the webhook's idempotency key) see message ids: anyone of them could turn a
//! patient's e-mail reminders off (issue 14, defect 11). The link now carries the message id
//! with an HMAC-SHA256 of it under a key of the installation's own (made on first use, kept in
//! the store, shared by every instance): `/unsubscribe/{id}.{mac}`. Only the e-mail holds the
//! MAC; a link without it, or with a wrong one, changes nothing.

use needlepath_store::{MessageId, PatientId};
use ring::hmac;

use crate::App;
use crate::auth::secrets;
use crate::clinic::ClinicResult;

/// The name of the key in the store.
const KEY_NAME: &str = "unsubscribe";

/// How many bytes of the MAC the link keeps: 128 bits, beyond guessing.
const MAC_BYTES: usize = 16;

async fn key(app: &App) -> ClinicResult<hmac::Key> {
    let secret = app
        .unsubscribe_key
        .get_or_try_init(|| async { app.records.store().service_key(KEY_NAME, &secrets::new_token()).await })
        .await?;
    Ok(hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes()))
}

fn mac_hex(key: &hmac::Key, message: MessageId) -> String {
    let tag = hmac::sign(key, message.to_string().as_bytes());
    tag.as_ref().iter().take(MAC_BYTES).map(|b| format!("{b:02x}")).collect()
}

/// The path of a message's unsubscribe link: `/unsubscribe/{id}.{mac}`.
pub async fn path(app: &App, message: MessageId) -> ClinicResult<String> {
    let key = key(app).await?;
    Ok(format!("/unsubscribe/{message}.{}", mac_hex(&key, message)))
}

/// The message an unsubscribe token names, if its MAC is right (compared in constant time).
pub async fn message_of(app: &App, token: &str) -> ClinicResult<Option<MessageId>> {
    let Some((id, mac)) = token.split_once('.') else { return Ok(None) };
    let Ok(message) = id.parse::<MessageId>() else { return Ok(None) };
    let key = key(app).await?;
    let expected = mac_hex(&key, message);
    let same =
        expected.len() == mac.len() && bool::from(subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), mac.as_bytes()));
    Ok(same.then_some(message))
}

/// Turns e-mail reminders off for the patient of the message `token` names; `None` for a token
/// that names no message (wrong MAC, a bare id) or a message of no patient. Either way the
/// caller answers the same: the link reveals nothing.
pub async fn unsubscribe(app: &App, token: &str) -> ClinicResult<Option<PatientId>> {
    match message_of(app, token).await? {
        Some(message) => crate::clinic::appointments::unsubscribe(app, message).await,
        None => Ok(None),
    }
}
