//! Sessions: the cookie holds the node's own short-lived login token (the same
//! one `xinfang login` gets), checked by the `Guard` on every request; forms that
//! change anything carry a CSRF token derived from the session; the reader's
//! language comes from `?lang=` or a cookie.

use axum::extract::Request;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::Console;
use super::refused::Refused;
use crate::auth::Actor;
use crate::labels::Lang;

pub const SESSION_COOKIE: &str = "xinfang_session";
pub const LANG_COOKIE: &str = "xinfang_lang";
/// Before signing in: a random value the sign-in form's CSRF token is derived
/// from, so a form posted from another site (login CSRF: signing the victim in
/// as the attacker) carries neither.
pub const SIGN_IN_COOKIE: &str = "xinfang_signin";
/// The hidden field every state-changing form carries.
pub const CSRF_FIELD: &str = "csrf";

/// A signed-in user on one request.
pub struct Session {
    pub who: Actor,
    pub lang: Lang,
    /// The CSRF token this session's forms carry.
    pub csrf: String,
}

/// A cookie's value from the request, if present.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// `?lang=en` (or `zh`) in a query string.
fn query_lang(query: &str) -> Option<Lang> {
    query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == "lang")
        .map(|(_, v)| Lang::from_tag(v))
}

/// Puts the reader's language into the request (`?lang=` wins and is remembered
/// in a cookie; then the cookie; Chinese otherwise: the browser's own language
/// is not asked, the console is Chinese first).
pub async fn language(mut req: Request, next: Next) -> Response {
    let asked = req.uri().query().and_then(query_lang);
    let lang = asked
        .or_else(|| cookie(req.headers(), LANG_COOKIE).map(|v| Lang::from_tag(&v)))
        .unwrap_or_default();
    req.extensions_mut().insert(lang);
    let mut res = next.run(req).await;
    if let Some(l) = asked {
        let c = format!(
            "{LANG_COOKIE}={}; Path=/; SameSite=Strict; Max-Age=31536000",
            l.tag()
        );
        if let Ok(v) = HeaderValue::from_str(&c) {
            res.headers_mut().append(SET_COOKIE, v);
        }
    }
    res
}

type HmacSha256 = Hmac<Sha256>;

impl Console {
    fn csrf_mac(&self, token: &str) -> HmacSha256 {
        // HMAC takes a key of any length: this cannot fail.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.0.csrf_key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(token.as_bytes());
        mac
    }

    /// The CSRF token of the session holding `token`: a keyed hash of it, so it
    /// needs no storage and dies with the session.
    pub fn csrf_for(&self, token: &str) -> String {
        hex::encode(self.csrf_mac(token).finalize().into_bytes())
    }

    fn csrf_ok(&self, token: &str, given: &str) -> bool {
        match hex::decode(given.trim()) {
            Ok(bytes) => self.csrf_mac(token).verify_slice(&bytes).is_ok(),
            Err(_) => false,
        }
    }

    /// The signed-in user, from the session cookie.
    pub async fn session(&self, headers: &HeaderMap, lang: Lang) -> Result<Session, Refused> {
        let token = cookie(headers, SESSION_COOKIE).ok_or(Refused::SignIn)?;
        let csrf = self.csrf_for(&token);
        let who = self
            .cases()
            .guard()
            .actor_of_token(token)
            .await
            .map_err(Refused::from)?;
        Ok(Session { who, lang, csrf })
    }

    /// The session of a form that changes something: signed in, and the form's
    /// CSRF token is this session's. A forged or stale form is refused and
    /// audited before any service sees it.
    pub async fn posted(
        &self,
        headers: &HeaderMap,
        lang: Lang,
        csrf: Option<&str>,
        target: &str,
    ) -> Result<Session, Refused> {
        let s = self.session(headers, lang).await?;
        let token = s.who.token.as_deref().unwrap_or_default();
        if !csrf.is_some_and(|c| self.csrf_ok(token, c)) {
            self.cases()
                .guard()
                .audit_refused(
                    &s.who,
                    "console.form",
                    target,
                    "the form's CSRF token is missing or not this session's",
                )
                .await;
            return Err(Refused::Forged);
        }
        Ok(s)
    }

    /// A fresh pre-session value for the sign-in form, and its cookie.
    pub fn sign_in_nonce(&self) -> (String, String) {
        let mut bytes = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
        let nonce = hex::encode(bytes);
        let cookie = format!(
            "{SIGN_IN_COOKIE}={nonce}; Path=/login; HttpOnly; SameSite=Strict{}",
            if self.0.secure { "; Secure" } else { "" }
        );
        (nonce, cookie)
    }

    /// The CSRF token of the sign-in form shown with `nonce` (kept apart from
    /// session tokens by its prefix).
    pub fn sign_in_csrf(&self, nonce: &str) -> String {
        self.csrf_for(&format!("signin:{nonce}"))
    }

    /// The sign-in form came from this node's own page in this browser: its
    /// cookie is there and the form's token is the one derived from it.
    pub fn sign_in_form_ok(&self, headers: &HeaderMap, csrf: Option<&str>) -> bool {
        match (cookie(headers, SIGN_IN_COOKIE), csrf) {
            (Some(nonce), Some(given)) => self.csrf_ok(&format!("signin:{nonce}"), given),
            _ => false,
        }
    }

    /// The session cookie for `token` (HttpOnly, SameSite=Strict, Secure under TLS).
    pub fn session_cookie(&self, token: &str) -> String {
        format!(
            "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{}",
            if self.0.secure { "; Secure" } else { "" }
        )
    }

    /// A cookie that removes the session cookie.
    pub fn cleared_cookie(&self) -> String {
        format!(
            "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
            if self.0.secure { "; Secure" } else { "" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_languages_are_read() {
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_static("a=1; xinfang_session=xt_abc; xinfang_lang=en"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("xt_abc"));
        assert_eq!(cookie(&h, LANG_COOKIE).as_deref(), Some("en"));
        assert_eq!(cookie(&h, "b"), None);
        assert_eq!(query_lang("q=1&lang=en"), Some(Lang::En));
        assert_eq!(query_lang("lang=zh"), Some(Lang::Zh));
        assert_eq!(query_lang("q=1"), None);
    }
}
