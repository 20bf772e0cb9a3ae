//! The HTTP routes: `/graphql` (POST and GET), `/graphiql` and its assets, `/` (a redirect),
//! `/health` and `/ready`.

use std::panic::AssertUnwindSafe;

use actix_web::http::header::{self, ContentType};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use async_graphql::{Response, ServerError};
use entity::Role;
use futures_util::FutureExt;
use sea_orm::DatabaseConnection;

use crate::graphql::context::request_data;
use crate::graphql::error::client_error;
use crate::graphql::error::ensure_codes;
use crate::graphql::AppSchema;
use crate::service::token::Authenticator;
use crate::AppError;

/// What every handler shares.
pub struct AppState {
    pub schema: AppSchema,
    pub db: DatabaseConnection,
    /// How deep filter arguments may nest.
    pub max_filter_depth: usize,
    /// Whether anonymous requests are refused.
    pub require_auth: bool,
    /// Checks the requests' tokens.
    pub authenticator: Authenticator,
}

/// Registers every route.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/graphql", web::post().to(graphql_post))
        .route("/graphql", web::get().to(graphql_get))
        .route("/graphiql", web::get().to(graphiql))
        .route("/graphiql/assets/{file}", web::get().to(graphiql_asset))
        .route("/", web::get().to(root))
        .route("/health", web::get().to(health))
        .route("/ready", web::get().to(ready));
}

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// A response made of one request-level error (the body could not be read as a request).
fn request_error(message: String) -> Response {
    let mut error = ServerError::new(message, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", "BAD_USER_INPUT");
    Response::from_errors(vec![error])
}

/// The role of the request's `Authorization: Bearer` token; `None` for no token. A token
/// that is malformed, unknown or revoked is refused, never taken as anonymous; so is a
/// request without one when the server requires tokens.
async fn caller(state: &AppState, http: &HttpRequest) -> Result<Option<Role>, AppError> {
    let Some(header) = http.headers().get(header::AUTHORIZATION) else {
        return if state.require_auth {
            Err(AppError::Unauthenticated)
        } else {
            Ok(None)
        };
    };
    let token = header
        .to_str()
        .ok()
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or(AppError::Unauthenticated)?;
    let role = state.authenticator.authenticate(&state.db, token).await?;
    Ok(Some(role))
}

/// An answer made of one error that stopped the request before it ran.
fn refused(http: &HttpRequest, error: &AppError) -> HttpResponse {
    let status = match error {
        AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
        AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let error = client_error(error);
    let mut error_without_location = ServerError::new(error.message, None);
    error_without_location.extensions = error.extensions;
    let error = error_without_location;
    let mut answer = respond(http, Response::from_errors(vec![error]));
    *answer.status_mut() = status;
    if status == StatusCode::UNAUTHORIZED {
        answer.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
    }
    answer
}

/// Executes a request (catching any panic as an internal error) and writes the answer in the
/// media type the client accepts.
async fn execute(
    state: &AppState,
    http: &HttpRequest,
    request: async_graphql::Request,
) -> HttpResponse {
    let role = match caller(state, http).await {
        Ok(role) => role,
        Err(error) => return refused(http, &error),
    };
    let (context, loader) = request_data(state.db.clone(), role, state.max_filter_depth);
    let request = request.data(context).data(loader);
    let executed = AssertUnwindSafe(state.schema.execute(request))
        .catch_unwind()
        .await;
    match executed {
        Ok(response) => respond(http, ensure_codes(response)),
        Err(_) => {
            tracing::error!("a resolver panicked");
            let mut error = ServerError::new("internal server error", None);
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", "INTERNAL_SERVER_ERROR");
            let mut answer = respond(http, Response::from_errors(vec![error]));
            *answer.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            answer
        }
    }
}

/// Serialises a response: `application/graphql-response+json` when the client accepts it
/// (with 400 for a request that did not run), else `application/json` with 200.
fn respond(http: &HttpRequest, response: Response) -> HttpResponse {
    let accepts_graphql_response = http
        .headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains(GRAPHQL_RESPONSE));
    // A request that did not run (it did not parse or validate) has no data and only errors
    // without a path; a field error during execution keeps the answer a 200.
    let did_not_run = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|error| error.path.is_empty());
    let (status, content_type) = if accepts_graphql_response {
        let status = if did_not_run {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        (status, GRAPHQL_RESPONSE)
    } else {
        (StatusCode::OK, "application/json")
    };
    match serde_json::to_vec(&response) {
        Ok(body) => HttpResponse::build(status)
            .content_type(content_type)
            .body(body),
        Err(error) => {
            tracing::error!(%error, "could not serialise a response");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// `POST /graphql` with a JSON body `{query, variables, operationName, extensions}`.
async fn graphql_post(
    state: web::Data<AppState>,
    http: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    match serde_json::from_slice::<async_graphql::Request>(&body) {
        Ok(request) => execute(&state, &http, request).await,
        Err(error) => respond(
            &http,
            request_error(format!(
                "the body is not a GraphQL request in JSON: {error}"
            )),
        ),
    }
}

/// `GET /graphql?query=…` (queries only).
async fn graphql_get(state: web::Data<AppState>, http: HttpRequest) -> HttpResponse {
    match async_graphql::http::parse_query_string(http.query_string()) {
        Ok(request) => execute(&state, &http, request).await,
        Err(error) => respond(
            &http,
            request_error(format!(
                "the query string is not a GraphQL request: {error}"
            )),
        ),
    }
}

/// The GraphiQL page and the files it loads, all inside the binary.
const GRAPHIQL_PAGE: &str = include_str!("../assets/graphiql/index.html");
const GRAPHIQL_ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/graphiql/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/react-dom.production.min.js"),
    ),
];

/// `GET /graphiql`: the playground.
async fn graphiql() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .body(GRAPHIQL_PAGE)
}

/// `GET /graphiql/assets/{file}`: a script or style of the playground.
async fn graphiql_asset(file: web::Path<String>) -> HttpResponse {
    match GRAPHIQL_ASSETS
        .iter()
        .find(|(name, _, _)| *name == file.as_str())
    {
        Some((_, content_type, bytes)) => HttpResponse::Ok()
            .content_type(*content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
            .body(*bytes),
        None => HttpResponse::NotFound().finish(),
    }
}

/// `GET /`: to the playground.
async fn root() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/graphiql"))
        .finish()
}

/// `GET /health`: 200 while the process serves.
async fn health() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::plaintext())
        .body("ok")
}

/// `GET /ready`: 200 when the database answers, 503 when it does not.
async fn ready(state: web::Data<AppState>) -> HttpResponse {
    match state.db.ping().await {
        Ok(()) => HttpResponse::Ok()
            .content_type(ContentType::plaintext())
            .body("ready"),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .content_type(ContentType::plaintext())
                .body("database unavailable")
        }
    }
}
