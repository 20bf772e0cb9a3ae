//! The HTTP routes: `/graphql` (POST and GET), `/graphiql` and its assets, `/` (a redirect),
//! `/health` and `/ready`.

use actix_web::http::header::{self, ContentType};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use async_graphql::{Response, ServerError};
use entity::Role;
use tracing::Instrument;

use crate::apq::{Persisted, PersistedQueries};
use crate::db::Db;
use crate::documents::Documents;
use crate::graphql::context::request_data;
use crate::graphql::error::client_error;
use crate::graphql::error::ensure_codes;
use crate::graphql::{AppSchema, Limits};
use crate::metrics::{self, Metrics, Outcome};
use crate::service::token::Authenticator;
use crate::AppError;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::HttpMessage;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What every handler shares.
pub struct AppState {
    pub schema: AppSchema,
    /// What a query may cost; every request runs through [`Limits::execute`].
    pub limits: Limits,
    pub db: Db,
    /// How deep filter arguments may nest.
    pub max_filter_depth: usize,
    /// Whether anonymous requests are refused.
    pub require_auth: bool,
    /// Checks the requests' tokens.
    pub authenticator: Authenticator,
    /// How long one request may run.
    pub request_timeout: std::time::Duration,
    /// `max-age` of anonymous query answers, in seconds (0: not cached).
    pub cache_max_age: u64,
    /// Queries registered by hash (Automatic Persisted Queries).
    pub persisted: PersistedQueries,
    /// The parses of recent query texts.
    pub documents: Documents,
    /// What `/metrics` reports.
    pub metrics: Metrics,
    /// Requests slower than this are logged with their query.
    pub slow_request: std::time::Duration,
    /// How many requests a batch may hold; 0 refuses batches.
    pub max_batch: usize,
    /// Set once the server is stopping: `/ready` then answers 503.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
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
        .route("/ready", web::get().to(ready))
        .route("/metrics", web::get().to(metrics_text));
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

/// The error of a whole request (no location, no path).
fn coded_error(error: &AppError) -> ServerError {
    let error = client_error(error);
    let mut server_error = ServerError::new(error.message, None);
    server_error.extensions = error.extensions;
    server_error
}

/// An answer made of one error that stopped the request before it ran.
fn refused(http: &HttpRequest, error: &AppError) -> HttpResponse {
    let status = match error {
        AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
        AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let error = coded_error(error);
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
///
/// `operation` is what [`operation_of`] said of the request, when the caller asked already.
async fn execute(
    state: &AppState,
    http: &HttpRequest,
    mut request: async_graphql::Request,
    operation: Option<(String, bool)>,
) -> HttpResponse {
    let started = std::time::Instant::now();
    let (operation, mutation) =
        operation.unwrap_or_else(|| operation_of(&mut request, &state.limits, &state.documents));
    let query = request.query.clone();
    let counter = Arc::new(AtomicU64::new(0));
    let mut answer = metrics::counting(counter.clone(), run(state, http, request, mutation)).await;
    let took = started.elapsed();
    let outcome = Outcome {
        operation,
        codes: answer
            .extensions()
            .get::<ErrorCodes>()
            .map(|codes| codes.0.clone())
            .unwrap_or_default(),
        statements: counter.load(Ordering::Relaxed),
    };
    state.metrics.record(&outcome, took);
    if took >= state.slow_request {
        // The document only: variables and tokens never go to the log.
        tracing::warn!(
            request_id = %request_id(http),
            operation = %outcome.operation,
            duration_ms = took.as_millis() as u64,
            statements = outcome.statements,
            query = %query,
            "slow request"
        );
    }
    answer.extensions_mut().insert(outcome);
    answer
}

/// The codes of a response's errors, handed from `run` to `execute`.
struct ErrorCodes(Vec<String>);

/// The codes of the errors of a response, in order.
fn codes_of(response: &Response) -> Vec<String> {
    response
        .errors
        .iter()
        .filter_map(|error| {
            let code = error.extensions.as_ref()?.get("code")?;
            match code {
                async_graphql::Value::String(code) => Some(code.clone()),
                _ => None,
            }
        })
        .collect()
}

/// Authenticates, runs the request within its time, and writes the answer.
async fn run(
    state: &AppState,
    http: &HttpRequest,
    request: async_graphql::Request,
    mutation: bool,
) -> HttpResponse {
    let role = match caller(state, http).await {
        Ok(role) => role,
        Err(error) => {
            let mut answer = refused(http, &error);
            answer
                .extensions_mut()
                .insert(ErrorCodes(vec![error.code().to_owned()]));
            return answer;
        }
    };
    let caching = if role.is_some() || mutation {
        Caching::Private
    } else {
        Caching::Public(state.cache_max_age)
    };
    let (response, status) = execute_one(state, role, request).await;
    let codes = codes_of(&response);
    let mut answer = match status {
        None => respond_cached(http, response, Some(caching)),
        Some(status) => {
            let mut answer = respond(http, response);
            *answer.status_mut() = status;
            answer
        }
    };
    answer.extensions_mut().insert(ErrorCodes(codes));
    answer
}

/// Runs one GraphQL request for `role` within the request timeout; the response, and the
/// status it must have when it is not an ordinary answer (503 past the timeout, 500 for a
/// panic).
async fn execute_one(
    state: &AppState,
    role: Option<Role>,
    request: async_graphql::Request,
) -> (Response, Option<StatusCode>) {
    let (context, loader) = request_data(
        state.db.clone(),
        role,
        state.max_filter_depth,
        state.metrics.relation_loads.clone(),
    );
    let request = request.data(context).data(loader);
    // The execution runs as a task of its own, which is left to finish when the deadline
    // passes: a statement future dropped half-way can leave its PostgreSQL connection (over
    // TLS) waiting forever on its way back to the pool. By then the statement running is
    // being stopped (SQLite interrupts it at the deadline, see `db::connect_with`; PostgreSQL
    // at its `statement_timeout`) and no new one starts (`graphql::context::request`).
    let deadline = tokio::time::Instant::now() + state.request_timeout;
    let (schema, limits) = (state.schema.clone(), state.limits);
    let counter = metrics::current_counter().unwrap_or_default();
    let execution = tokio::spawn(
        metrics::counting(
            counter,
            crate::db::within_deadline(deadline.into_std(), async move {
                limits.execute(&schema, request).await
            }),
        )
        .instrument(tracing::Span::current()),
    );
    let executed = tokio::time::timeout_at(deadline, execution).await;
    // A statement stopped at the deadline may fail just before the timer fires: an answer
    // with errors that came in past the deadline is the timeout's too. One without errors
    // stands (a mutation commits only before its deadline).
    let late = || tokio::time::Instant::now() >= deadline;
    match executed {
        Ok(Ok(response)) if !(late() && response.is_err()) => (ensure_codes(response), None),
        Ok(Err(failure)) if failure.is_panic() => {
            tracing::error!("a resolver panicked");
            let mut error = ServerError::new("internal server error", None);
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", "INTERNAL_SERVER_ERROR");
            (
                Response::from_errors(vec![error]),
                Some(StatusCode::INTERNAL_SERVER_ERROR),
            )
        }
        // Out of time, or the execution was cancelled (the server is stopping).
        _ => {
            tracing::warn!(timeout = ?state.request_timeout, "a request ran out of time");
            let error = AppError::Timeout(state.request_timeout);
            let response = Response::from_errors(vec![coded_error(&error)]);
            (response, Some(StatusCode::SERVICE_UNAVAILABLE))
        }
    }
}

/// Runs a batch (a JSON array of requests, when `--max-batch` allows them): each request
/// on its own, one after the other, the answers in one JSON array, never cached.
async fn execute_batch(
    state: &AppState,
    http: &HttpRequest,
    requests: Vec<Result<async_graphql::Request, Box<Response>>>,
) -> HttpResponse {
    let started = std::time::Instant::now();
    let role = match caller(state, http).await {
        Ok(role) => role,
        Err(error) => return refused(http, &error),
    };
    let counter = Arc::new(AtomicU64::new(0));
    let mut bodies = Vec::with_capacity(requests.len());
    let mut codes = Vec::new();
    for request in requests {
        let response = match request {
            Ok(request) => {
                metrics::counting(counter.clone(), execute_one(state, role, request))
                    .await
                    .0
            }
            Err(refusal) => *refusal,
        };
        codes.extend(codes_of(&response));
        let body =
            body_of(&response).and_then(|body| serde_json::from_slice::<serde_json::Value>(&body));
        match body {
            Ok(body) => bodies.push(body),
            Err(error) => {
                tracing::error!(%error, "could not serialise a response");
                return HttpResponse::InternalServerError().finish();
            }
        }
    }
    let outcome = Outcome {
        operation: "batch".to_owned(),
        codes,
        statements: counter.load(Ordering::Relaxed),
    };
    state.metrics.record(&outcome, started.elapsed());
    let content_type = match negotiate(http) {
        Some(Answer::GraphqlResponse) => GRAPHQL_RESPONSE,
        _ => "application/json",
    };
    let body = serde_json::to_vec(&bodies).unwrap_or_default();
    let mut answer = HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(body);
    answer.extensions_mut().insert(outcome);
    answer
}

/// The request's id, as the request-id middleware set it.
pub fn request_id(http: &HttpRequest) -> String {
    http.extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone())
        .unwrap_or_default()
}

/// A request's id: the client's `X-Request-Id` when it is short and plain, else a new one.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The media types an answer can have, as the client's `Accept` header allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// `application/graphql-response+json`: status codes tell what happened.
    GraphqlResponse,
    /// `application/json`, for legacy clients: 200 for whatever ran.
    Json,
}

/// What the client accepts: `application/graphql-response+json` first, then
/// `application/json` (also for `*/*`, `application/*` and no `Accept` at all); `None` when
/// it accepts neither (406).
fn negotiate(http: &HttpRequest) -> Option<Answer> {
    let Some(accept) = http.headers().get(header::ACCEPT) else {
        return Some(Answer::Json);
    };
    let accept = accept.to_str().ok()?;
    let mut json = false;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let refused = parts.any(|parameter| {
            let parameter = parameter.trim().replace(' ', "");
            parameter == "q=0"
                || parameter == "q=0.0"
                || parameter == "q=0.00"
                || parameter == "q=0.000"
        });
        if refused {
            continue;
        }
        match media.as_str() {
            GRAPHQL_RESPONSE => return Some(Answer::GraphqlResponse),
            "application/json" | "application/*" | "*/*" => json = true,
            _ => {}
        }
    }
    json.then_some(Answer::Json)
}

/// Serialises a response in the media type the client accepts: with
/// `application/graphql-response+json` a request that did not run is a 400, with
/// `application/json` every answer that ran is a 200.
fn respond(http: &HttpRequest, response: Response) -> HttpResponse {
    respond_cached(http, response, None)
}

/// How an answer may be cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caching {
    /// An anonymous query: `public, max-age=N` (none when N is 0), with an `ETag`.
    Public(u64),
    /// An authenticated request or a mutation: `private, no-store`.
    Private,
}

/// As `respond`, with the cache headers of `caching`: an `ETag` on query answers (a GET
/// whose `If-None-Match` names it is a 304 without a body) and `Cache-Control`.
fn respond_cached(
    http: &HttpRequest,
    response: Response,
    caching: Option<Caching>,
) -> HttpResponse {
    let answer = negotiate(http).unwrap_or(Answer::Json);
    // A request that did not run (it did not parse or validate) has no data and only errors
    // without a path; a field error during execution keeps the answer a 200.
    let did_not_run = did_not_run(&response);
    let (status, content_type) = match answer {
        Answer::GraphqlResponse if did_not_run => (StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE),
        Answer::GraphqlResponse => (StatusCode::OK, GRAPHQL_RESPONSE),
        Answer::Json => (StatusCode::OK, "application/json"),
    };
    let Some(caching) = caching else {
        return serialised(status, content_type, &response);
    };
    let body = match body_of(&response) {
        Ok(body) => body,
        Err(error) => {
            tracing::error!(%error, "could not serialise a response");
            return HttpResponse::InternalServerError().finish();
        }
    };
    let mut builder = HttpResponse::build(status);
    builder.content_type(content_type);
    match caching {
        Caching::Private => {
            builder.insert_header((header::CACHE_CONTROL, "private, no-store"));
        }
        Caching::Public(max_age) => {
            if max_age > 0 && status == StatusCode::OK && response.errors.is_empty() {
                builder
                    .insert_header((header::CACHE_CONTROL, format!("public, max-age={max_age}")));
            } else {
                builder.insert_header((header::CACHE_CONTROL, "no-cache"));
            }
            // XXH3, 128 bits: an ETag needs no cryptographic hash, only one that changes with
            // the body, and the same on every server that answers (XXH3 is a specified
            // algorithm, so rolling deploys agree). SHA-256 of the body was 6% of a front
            // page's instructions.
            let tag = format!("\"{:032x}\"", xxhash_rust::xxh3::xxh3_128(&body));
            let matches = http
                .headers()
                .get(header::IF_NONE_MATCH)
                .and_then(|value| value.to_str().ok())
                .is_some_and(|value| {
                    value.split(',').any(|candidate| {
                        let candidate = candidate.trim();
                        candidate == "*" || candidate.trim_start_matches("W/") == tag
                    })
                });
            builder.insert_header((header::ETAG, tag));
            builder.insert_header((header::VARY, "Accept, Authorization"));
            if matches && http.method() == actix_web::http::Method::GET && status == StatusCode::OK
            {
                return builder.status(StatusCode::NOT_MODIFIED).finish();
            }
        }
    }
    builder.body(body)
}

fn serialised(status: StatusCode, content_type: &str, response: &Response) -> HttpResponse {
    match body_of(response) {
        Ok(body) => HttpResponse::build(status)
            .content_type(content_type)
            .body(body),
        Err(error) => {
            tracing::error!(%error, "could not serialise a response");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// Whether a response is of a request that did not run (it did not parse or validate, or
/// was refused before): no data, and only errors without a path.
fn did_not_run(response: &Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|error| error.path.is_empty())
}

/// The JSON of a response; one of a request that did not run has no `data` entry at all
/// (as the GraphQL over HTTP spec asks), rather than `"data": null`.
fn body_of(response: &Response) -> serde_json::Result<Vec<u8>> {
    if !did_not_run(response) {
        return serde_json::to_vec(response);
    }
    let mut value = serde_json::to_value(response)?;
    if let Some(fields) = value.as_object_mut() {
        fields.remove("data");
    }
    serde_json::to_vec(&value)
}

/// A request that is not a GraphQL request at all (bad JSON, a bad query string): 400 in
/// either media type.
fn malformed(http: &HttpRequest, message: String) -> HttpResponse {
    malformed_response(http, request_error(message))
}

fn malformed_response(http: &HttpRequest, response: Response) -> HttpResponse {
    let content_type = match negotiate(http) {
        Some(Answer::GraphqlResponse) => GRAPHQL_RESPONSE,
        _ => "application/json",
    };
    serialised(StatusCode::BAD_REQUEST, content_type, &response)
}

/// A plain-text refusal with a status: 406, 415, 405, 414.
fn plain(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(ContentType::plaintext())
        .body(message.to_owned())
}

/// Whether a POST body is declared as JSON (`application/json`, any parameters).
fn is_json(http: &HttpRequest) -> bool {
    http.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// `POST /graphql` with a JSON body `{query, variables, operationName, extensions}`. Any
/// other content type is refused (415), which also keeps browsers' simple cross-site requests
/// (forms, `text/plain`) from running anything.
async fn graphql_post(
    state: web::Data<AppState>,
    http: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    if negotiate(&http).is_none() {
        return plain(
            StatusCode::NOT_ACCEPTABLE,
            "answers are application/graphql-response+json or application/json",
        );
    }
    if !is_json(&http) {
        return plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the body must be application/json",
        );
    }
    if body.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'[') {
        return batch(&state, &http, &body).await;
    }
    let request = match graphql_request(&body) {
        Ok(request) => request,
        Err(message) => return malformed(&http, message),
    };
    match persisted(&state, &http, request) {
        Ok(request) => execute(&state, &http, request, None).await,
        Err(answer) => *answer,
    }
}

/// A POST body that is a JSON array: a batch, refused unless `--max-batch` allows it.
async fn batch(state: &AppState, http: &HttpRequest, body: &[u8]) -> HttpResponse {
    if state.max_batch == 0 {
        return malformed(
            http,
            "batched requests are not accepted on this server".to_owned(),
        );
    }
    let items: Vec<serde_json::Value> = match serde_json::from_slice(body) {
        Ok(items) => items,
        Err(error) => return malformed(http, format!("the body is not JSON: {error}")),
    };
    if items.is_empty() || items.len() > state.max_batch {
        return malformed(
            http,
            format!("a batch holds 1 to {} requests", state.max_batch),
        );
    }
    let mut requests = Vec::with_capacity(items.len());
    for item in items {
        let bytes = serde_json::to_vec(&item).unwrap_or_default();
        let request = match graphql_request(&bytes) {
            Ok(request) => request,
            Err(message) => return malformed(http, message),
        };
        requests.push(persisted_query(state, request));
    }
    execute_batch(state, http, requests).await
}

/// A POST body as a GraphQL request: a JSON object with a string `query` (batches of
/// requests are not accepted), optional `variables` (an object), `operationName` and
/// `extensions`.
fn graphql_request(body: &[u8]) -> Result<async_graphql::Request, String> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|error| format!("the body is not JSON: {error}"))?;
    let Some(fields) = value.as_object() else {
        return Err(
            "the body must be one JSON object (batched requests are not accepted)".to_owned(),
        );
    };
    let persisted = fields
        .get("extensions")
        .is_some_and(|extensions| extensions.get("persistedQuery").is_some());
    match fields.get("query") {
        Some(serde_json::Value::String(_)) => {}
        None | Some(serde_json::Value::Null) if persisted => {}
        _ => return Err("the body has no `query` string".to_owned()),
    }
    if fields
        .get("variables")
        .is_some_and(|variables| !variables.is_object() && !variables.is_null())
    {
        return Err("`variables` must be an object".to_owned());
    }
    serde_json::from_value(value)
        .map_err(|error| format!("the body is not a GraphQL request: {error}"))
}

/// The longest URL a GET request may have.
const MAX_URL_BYTES: usize = 16 * 1024;

/// `GET /graphql?query=…`: queries only; a mutation is refused with 405.
async fn graphql_get(state: web::Data<AppState>, http: HttpRequest) -> HttpResponse {
    if negotiate(&http).is_none() {
        return plain(
            StatusCode::NOT_ACCEPTABLE,
            "answers are application/graphql-response+json or application/json",
        );
    }
    if http.uri().to_string().len() > MAX_URL_BYTES {
        return plain(StatusCode::URI_TOO_LONG, "the URL is too long; use POST");
    }
    let request = match get_request(http.query_string()) {
        Ok(request) => request,
        Err(message) => return malformed(&http, message),
    };
    let mut request = match persisted(&state, &http, request) {
        Ok(request) => request,
        Err(answer) => return *answer,
    };
    let operation = operation_of(&mut request, &state.limits, &state.documents);
    if operation.1 {
        return HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, "GET, POST"))
            .content_type(ContentType::plaintext())
            .body("mutations must be sent with POST");
    }
    execute(&state, &http, request, Some(operation)).await
}

/// Resolves Automatic Persisted Queries: a request with `extensions.persistedQuery` runs the
/// query registered under its hash, or registers the query it brings. An unknown hash is
/// answered with `PERSISTED_QUERY_NOT_FOUND` (a 200, as Apollo clients expect), so that the
/// client sends the query.
fn persisted(
    state: &AppState,
    http: &HttpRequest,
    request: async_graphql::Request,
) -> Result<async_graphql::Request, Box<HttpResponse>> {
    match persisted_query(state, request) {
        Ok(request) => Ok(request),
        Err(response)
            if codes_of(&response).first().map(String::as_str) == Some("BAD_USER_INPUT") =>
        {
            Err(Box::new(malformed_response(http, *response)))
        }
        Err(response) => {
            // PERSISTED_QUERY_NOT_FOUND is a 200, as Apollo clients expect.
            let mut answer = respond(http, *response);
            *answer.status_mut() = StatusCode::OK;
            Err(Box::new(answer))
        }
    }
}

/// As `persisted`, with a refusal as a GraphQL response.
fn persisted_query(
    state: &AppState,
    mut request: async_graphql::Request,
) -> Result<async_graphql::Request, Box<Response>> {
    let Some(extension) = request.extensions.remove("persistedQuery") else {
        return Ok(request);
    };
    let extension = extension.into_json().unwrap_or_default();
    match state.persisted.resolve(&extension, &request.query) {
        Persisted::Query(query) => {
            request.query = query;
            Ok(request)
        }
        Persisted::NotFound => {
            let mut error = ServerError::new("PersistedQueryNotFound", None);
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", "PERSISTED_QUERY_NOT_FOUND");
            Err(Box::new(Response::from_errors(vec![error])))
        }
        Persisted::Invalid(message) => Err(Box::new(request_error(message))),
    }
}

/// A GET query string as a GraphQL request: `query`, and optional `operationName`,
/// `variables` and `extensions` (the last two JSON-encoded).
fn get_request(query_string: &str) -> Result<async_graphql::Request, String> {
    let parameters =
        web::Query::<std::collections::HashMap<String, String>>::from_query(query_string)
            .map_err(|error| format!("the query string cannot be read: {error}"))?
            .into_inner();
    let query = match parameters.get("query") {
        Some(query) => query.as_str(),
        None if parameters.contains_key("extensions") => "",
        None => return Err("the query string has no `query`".to_owned()),
    };
    let mut request = async_graphql::Request::new(query);
    request.operation_name = parameters.get("operationName").cloned();
    if let Some(variables) = parameters.get("variables") {
        let variables: serde_json::Value = serde_json::from_str(variables)
            .map_err(|error| format!("`variables` is not JSON: {error}"))?;
        if !variables.is_object() && !variables.is_null() {
            return Err("`variables` must be an object".to_owned());
        }
        request.variables = async_graphql::Variables::from_json(variables);
    }
    if let Some(extensions) = parameters.get("extensions") {
        request.extensions = serde_json::from_str(extensions)
            .map_err(|error| format!("`extensions` is not a JSON object: {error}"))?;
    }
    Ok(request)
}

/// The name of the operation a request selects (`anonymous` without one, `invalid` for a
/// document that does not parse or has more tokens than the limits allow) and whether it is
/// a mutation or a subscription, which GET may not run.
///
/// The parse is kept in the request: [`Limits::execute`] and async-graphql use it rather
/// than parse the document again. A text parsed before is not parsed again: its parse comes
/// from `documents`, which keeps each new one.
fn operation_of(
    request: &mut async_graphql::Request,
    limits: &Limits,
    documents: &Documents,
) -> (String, bool) {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    if !limits.admits_tokens(&request.query) {
        return ("invalid".to_owned(), false);
    }
    let new = (!documents.reuse(request) && Documents::would_keep(&request.query))
        .then(|| request.query.clone());
    let operation_name = request.operation_name.clone();
    let Ok(document) = request.parsed_query() else {
        return ("invalid".to_owned(), false);
    };
    if let Some(query) = new {
        documents.keep(&query, document);
    }
    let selected = match (&document.operations, operation_name.as_deref()) {
        (DocumentOperations::Single(operation), _) => Some((operation_name.clone(), operation)),
        (DocumentOperations::Multiple(operations), Some(name)) => operations
            .iter()
            .find(|(candidate, _)| candidate.as_str() == name)
            .map(|(name, operation)| (Some(name.to_string()), operation)),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => operations
            .iter()
            .next()
            .map(|(name, operation)| (Some(name.to_string()), operation)),
        (DocumentOperations::Multiple(_), None) => None,
    };
    match selected {
        Some((name, operation)) => (
            name.unwrap_or_else(|| "anonymous".to_owned()),
            operation.node.ty != OperationType::Query,
        ),
        None => ("anonymous".to_owned(), false),
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

/// `GET /metrics`: the Prometheus text.
async fn metrics_text(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.db.pool_use();
    let reads = state.db.sqlite_reads();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(pool, reads))
}

/// `GET /ready`: 200 when the database answers, 503 when it does not or while the server
/// is stopping.
async fn ready(state: web::Data<AppState>) -> HttpResponse {
    if state.draining.load(Ordering::SeqCst) {
        return HttpResponse::ServiceUnavailable()
            .content_type(ContentType::plaintext())
            .body("draining");
    }
    match state.db.connection().ping().await {
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

/// Gives every request an id (the client's `X-Request-Id` when it is plain and at most 64
/// characters, else a new one), returns it in `X-Request-Id`, and logs one line per request:
/// method, path (never the query string, which can hold variables), status, duration, and
/// for GraphQL the operation, its error codes and its statement count.
pub async fn request_log(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let given = request
        .headers()
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .filter(|id| {
            !id.is_empty()
                && id.len() <= 64
                && id
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.'))
        })
        .map(str::to_owned);
    let id = given.unwrap_or_else(new_request_id);
    request.extensions_mut().insert(RequestId(id.clone()));
    let (method, path) = (request.method().to_string(), request.path().to_owned());
    let started = std::time::Instant::now();
    let mut response = next.call(request).await?;
    let took = started.elapsed();
    if let Ok(value) = header::HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(header::HeaderName::from_static("x-request-id"), value);
    }
    let status = response.status().as_u16();
    let outcome = response.response().extensions().get::<Outcome>().cloned();
    match outcome {
        Some(outcome) => tracing::info!(
            request_id = %id,
            method = %method,
            path = %path,
            status,
            duration_ms = took.as_secs_f64() * 1000.0,
            operation = %outcome.operation,
            codes = %outcome.codes.join(","),
            statements = outcome.statements,
            "request"
        ),
        None => tracing::info!(
            request_id = %id,
            method = %method,
            path = %path,
            status,
            duration_ms = took.as_secs_f64() * 1000.0,
            "request"
        ),
    }
    Ok(response)
}

/// A new request id: 16 random bytes in hex.
fn new_request_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos());
        return format!("{nanos:032x}");
    }
    hex::encode(bytes)
}
