//! The cost estimate's defaults: a signed-in caller's clinic offers its own price per session
//! and currency on the public cost page (the estimate itself is the engine's, from the form).

use needlepath_store::Actor;

use crate::App;
use crate::clinic::ClinicResult;

/// The clinic's price per session (if it set one) and its currency.
#[derive(Debug, Clone, PartialEq)]
pub struct Prices {
    pub per_session: Option<f64>,
    pub currency: String,
}

/// The caller's clinic's prices. Reads no patient's data, so it leaves no audit record.
pub async fn prices(app: &App, actor: &Actor) -> ClinicResult<Prices> {
    let mut unit = app.records.store().reading(actor).await?;
    let clinic = unit.clinic().await?;
    drop(unit);
    Ok(Prices { per_session: clinic.settings.price_per_session, currency: clinic.settings.currency })
}
