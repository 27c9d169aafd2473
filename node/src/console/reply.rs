//! What a refused request gets: a sign-in, or a page saying why with the
//! service's own message. The one mapping of `NodeError` to HTTP statuses for the
//! console (the gRPC adapters have theirs in `error.rs`).

use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use maud::html;

use super::page;
pub use super::refused::Refused;
use super::words as w;
use crate::labels::Lang;

impl Refused {
    /// The answer: a page reading `GET` is sent to sign in; a form is refused
    /// with a page saying so (nothing it asked for was done).
    pub fn reply(self, lang: Lang, reading: bool) -> Response {
        let (status, title, message) = match self {
            Refused::SignIn if reading => {
                return (StatusCode::SEE_OTHER, [(LOCATION, "/login")]).into_response();
            }
            Refused::SignIn => (
                StatusCode::UNAUTHORIZED,
                w::SIGN_IN,
                w::SIGN_IN_AGAIN.get(lang).to_owned(),
            ),
            Refused::Forged => (
                StatusCode::FORBIDDEN,
                w::DENIED,
                w::FORGED.get(lang).to_owned(),
            ),
            Refused::Denied(m) => (StatusCode::FORBIDDEN, w::DENIED, m),
            Refused::BadRequest(m) => (StatusCode::BAD_REQUEST, w::BAD_REQUEST, m),
            Refused::NotFound(m) => (StatusCode::NOT_FOUND, w::NOT_FOUND, m),
            Refused::Internal(m) => (StatusCode::INTERNAL_SERVER_ERROR, w::FAILED, m),
        };
        let body = html! {
            section.refused role="alert" {
                h1 { (title.get(lang)) }
                p.message { (message) }
                p { a href="/work" { (w::BACK_TO_WORK.get(lang)) } " · " a href="/login" { (w::SIGN_IN.get(lang)) } }
            }
        };
        (status, page::bare(lang, title.get(lang), body)).into_response()
    }
}
