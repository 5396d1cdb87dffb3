//! The contact form. (Filled in by the contact-form work; for now it only reserves the route.)

use axum::Router;

use crate::AppState;

/// Routes for `/contact`.
pub fn router() -> Router<AppState> {
    Router::new()
}
