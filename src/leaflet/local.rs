//! A hospital's own details, printed in the "Your hospital" box on a leaflet's first page.
//!
//! They come from the address of the request (the "print for your hospital" form), are checked
//! by the web layer before they get here, and are never stored or logged: a leaflet made with
//! them lives only in the small cache of recent leaflets (see `web::leaflets`).

use serde::Serialize;

/// The details, checked: every text is short, one line, and of printable characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct LocalDetails {
    pub hospital: String,
    pub department: Option<String>,
    /// A UK phone number, as typed (spaces kept).
    pub phone_in_hours: String,
    pub phone_out_of_hours: Option<String>,
    /// Short local instructions, such as where to go or when to stop eating.
    pub instructions: Vec<String>,
}
