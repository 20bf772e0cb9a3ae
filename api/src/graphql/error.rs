//! Turning service errors into GraphQL errors with `extensions.code` (and `field` for bad
//! input), and the safety net that gives every other error a code too.

use std::sync::Arc;

use async_graphql::{ErrorExtensions, Response, ServerError, Value};

use crate::AppError;

/// The GraphQL error a client sees for `error`; server-side causes are logged here.
pub fn client_error(error: &AppError) -> async_graphql::Error {
    error.log();
    async_graphql::Error::new(error.to_string()).extend_with(|_, extensions| {
        extensions.set("code", error.code());
        if let AppError::Validation { field, .. } = error {
            extensions.set("field", field.as_str());
        }
    })
}

/// `.gql()` on service results: the error with its code, ready for `?` in a resolver.
pub trait GqlResult<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> GqlResult<T> for Result<T, AppError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|error| client_error(&error))
    }
}

impl<T> GqlResult<T> for Result<T, Arc<AppError>> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|error| client_error(&error))
    }
}

/// The most errors one response carries; the rest are left out.
pub const MAX_ERRORS: usize = 100;

/// Gives every error of a response a code: errors async-graphql raised itself before running
/// the query are the client's — `QUERY_TOO_COMPLEX` for the depth, nesting and complexity limits,
/// `BAD_USER_INPUT` for a query that does not parse or validate or a variable of the wrong
/// type; any other error without one is internal and its message is replaced.
pub fn ensure_codes(mut response: Response) -> Response {
    if response.errors.len() > MAX_ERRORS {
        response.errors.truncate(MAX_ERRORS);
    }
    for error in &mut response.errors {
        let has_code = error
            .extensions
            .as_ref()
            .is_some_and(|extensions| extensions.get("code").is_some());
        if has_code {
            continue;
        }
        if error.path.is_empty() {
            let limits = [
                "Query is nested too deep.",
                "Query is too complex.",
                "recursion limit exceeded.",
            ];
            // async-graphql's own fragment-recursion and directive limits.
            let code = if limits.contains(&error.message.as_str())
                || error
                    .message
                    .starts_with("The recursion depth of the query")
                || error
                    .message
                    .starts_with("The number of directives on the field")
            {
                "QUERY_TOO_COMPLEX"
            } else {
                "BAD_USER_INPUT"
            };
            set_code(error, code);
        } else {
            tracing::error!(message = %error.message, "resolver error without a code");
            error.message = "internal server error".to_owned();
            set_code(error, "INTERNAL_SERVER_ERROR");
        }
    }
    response
}

fn set_code(error: &mut ServerError, code: &str) {
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", Value::from(code));
}
