//! Limits checked before a query is validated or run: the document's tokens, then — on the
//! parsed document, with every fragment measured once (memoised), so that fragments spreading
//! each other cannot make the check itself exponential — its cost (fields, with connections
//! counted by their page sizes), aliases, directives per field and introspection list
//! nesting. The cost is returned in `extensions.cost` on every answer whose document was
//! measured, refused or not.
//!
//! async-graphql's own validation expands fragment spreads without memoisation, so a small
//! document whose fragments spread each other (8 spreads × 10 levels) would keep a worker busy
//! for ever; [`Limits::execute`] refuses such a document before validation sees it.

use std::collections::HashMap;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Field, OperationDefinition, Selection, SelectionSet,
};
use async_graphql::{
    Name, Pos, Positioned, Request, Response, ServerError, ServerResult, Value, Variables,
};

use super::AppSchema;

/// The limits, all configurable (see `Config`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most a query may cost: fields, each connection's selection counted once per row of
    /// its page (`first`/`last`, 20 when not given), `__typename` and aliases included.
    pub max_cost: u64,
    /// The most aliases a query may use (fragments counted as often as they are spread).
    pub max_aliases: u64,
    /// The most lexical tokens a document may have.
    pub max_tokens: usize,
    /// The most directives on one field, fragment spread or inline fragment.
    pub max_directives: usize,
    /// Whether `__schema` and `__type` may be asked for.
    pub introspection: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_cost: 5_000,
            max_aliases: 30,
            max_tokens: 15_000,
            max_directives: 10,
            introspection: true,
        }
    }
}

/// How many rows a connection is counted for when the query does not say.
const DEFAULT_PAGE: u64 = 20;
/// How deeply the introspection list fields may nest (graphql-js's rule: below 3).
const MAX_INTROSPECTION_LISTS: usize = 3;
/// The introspection fields whose nesting is counted.
const INTROSPECTION_LISTS: [&str; 4] = ["fields", "interfaces", "possibleTypes", "inputFields"];

impl Limits {
    /// Runs `request` on `schema` within the limits: the document's tokens are counted, then
    /// it is parsed (or the parse the request already holds is used) and measured, and
    /// async-graphql runs that same parse. Checking here rather than in an async-graphql
    /// extension keeps every resolved field on async-graphql's direct path: with any
    /// extension installed, each field goes through the extension chain and two look-ups in
    /// the schema's registry.
    pub async fn execute(&self, schema: &AppSchema, mut request: Request) -> Response {
        let (checked, measured) = self.check(&mut request);
        let mut response = match checked {
            // Boxed: the execution's state is large, and every future wrapping this one
            // would otherwise hold it inline and copy it whenever it is moved (into its task,
            // through each wrapper); see BENCHMARKS.md, tenth run.
            Ok(()) => Box::pin(schema.execute(request)).await,
            Err(error) => Response::from_errors(vec![error]),
        };
        if let Some(measure) = measured {
            let mut cost = async_graphql::indexmap::IndexMap::new();
            cost.insert(Name::new("requested"), Value::from(measure.cost));
            cost.insert(Name::new("maximum"), Value::from(self.max_cost));
            cost.insert(Name::new("aliases"), Value::from(measure.aliases));
            response
                .extensions
                .insert("cost".to_owned(), Value::Object(cost));
        }
        response
    }

    /// Whether `query` has no more tokens than allowed (counting stops past the limit).
    pub fn admits_tokens(&self, query: &str) -> bool {
        count_tokens(query, self.max_tokens) <= self.max_tokens
    }

    /// Whether `request` is within the limits (its parse is left in the request), and the
    /// query's measure once taken: a query refused for its cost still reports it.
    fn check(&self, request: &mut Request) -> (ServerResult<()>, Option<Measure>) {
        if !self.admits_tokens(&request.query) {
            let error = too_complex(format!(
                "the document has more than {} tokens",
                self.max_tokens
            ));
            return (Err(error), None);
        }
        // Measured before async-graphql's checks: its parse step checks nesting by walking
        // fragment spreads without memoisation. The variables are set aside while the
        // request lends out its parse.
        let variables = std::mem::take(&mut request.variables);
        let checked = match request.parsed_query() {
            Ok(parsed) => self.check_document(parsed, &variables),
            Err(error) => (Err(short_parse_error(error)), None),
        };
        request.variables = variables;
        checked
    }

    /// The measure and the other checks of a parsed document.
    fn check_document(
        &self,
        parsed: &ExecutableDocument,
        variables: &Variables,
    ) -> (ServerResult<()>, Option<Measure>) {
        let measure = match measure(parsed, variables, self) {
            Ok(measure) => measure,
            Err(error) => return (Err(error), None),
        };
        let refusal = if measure.cost > self.max_cost {
            Some(too_complex(format!(
                "the query costs {} (fields, connections counted by page size); at most {} is allowed",
                measure.cost, self.max_cost
            )))
        } else if measure.aliases > self.max_aliases {
            Some(too_complex(format!(
                "the query uses {} aliases; at most {} are allowed",
                measure.aliases, self.max_aliases
            )))
        } else if !self.introspection && asks_introspection(parsed) {
            Some(coded(
                "introspection is turned off on this server".to_owned(),
                "BAD_USER_INPUT",
            ))
        } else {
            None
        };
        (refusal.map_or(Ok(()), Err), Some(measure))
    }
}

/// Whether a document selects `__schema` or `__type` anywhere.
fn asks_introspection(document: &ExecutableDocument) -> bool {
    fn in_set(set: &SelectionSet) -> bool {
        set.items.iter().any(|item| match &item.node {
            Selection::Field(field) => {
                matches!(field.node.name.node.as_str(), "__schema" | "__type")
                    || in_set(&field.node.selection_set.node)
            }
            Selection::InlineFragment(inline) => in_set(&inline.node.selection_set.node),
            Selection::FragmentSpread(_) => false,
        })
    }
    document
        .operations
        .iter()
        .any(|(_, operation)| in_set(&operation.node.selection_set.node))
        || document
            .fragments
            .values()
            .any(|fragment| in_set(&fragment.node.selection_set.node))
}

/// A `QUERY_TOO_COMPLEX` error.
fn too_complex(message: String) -> ServerError {
    coded(message, "QUERY_TOO_COMPLEX")
}

fn coded(message: String, code: &str) -> ServerError {
    let mut error = ServerError::new(message, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
    error
}

/// A parse error without the document: the parser's message quotes the offending line, which
/// can be the whole (large) document. Keeps the position and what was expected.
fn short_parse_error(error: ServerError) -> ServerError {
    if error.message == "recursion limit exceeded." {
        return error;
    }
    let expected = error
        .message
        .lines()
        .find_map(|line| line.trim().strip_prefix("= "))
        .unwrap_or("unexpected input");
    let expected: String = expected.chars().take(200).collect();
    let mut short = ServerError::new(format!("syntax error: {expected}"), None);
    short.locations = error.locations;
    short
}

/// Counts the lexical tokens of a document (punctuators, names, numbers, strings), stopping
/// once past `limit`. Whitespace, commas and comments are not tokens.
pub fn count_tokens(document: &str, limit: usize) -> usize {
    let bytes = document.as_bytes();
    let (mut at, mut tokens) = (0, 0);
    while at < bytes.len() && tokens <= limit {
        match bytes[at] {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => at += 1,
            b'#' => {
                while at < bytes.len() && bytes[at] != b'\n' {
                    at += 1;
                }
            }
            b'"' => {
                tokens += 1;
                if bytes[at..].starts_with(b"\"\"\"") {
                    at += 3;
                    while at < bytes.len() && !bytes[at..].starts_with(b"\"\"\"") {
                        at += if bytes[at] == b'\\' { 2 } else { 1 };
                    }
                    at += 3;
                } else {
                    at += 1;
                    while at < bytes.len() && bytes[at] != b'"' && bytes[at] != b'\n' {
                        at += if bytes[at] == b'\\' { 2 } else { 1 };
                    }
                    at += 1;
                }
            }
            b'.' if bytes[at..].starts_with(b"...") => {
                tokens += 1;
                at += 3;
            }
            byte if byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-' => {
                tokens += 1;
                at += 1;
                while at < bytes.len()
                    && (bytes[at].is_ascii_alphanumeric()
                        || matches!(bytes[at], b'_' | b'.' | b'+' | b'-'))
                {
                    at += 1;
                }
            }
            _ => {
                tokens += 1;
                at += 1;
            }
        }
    }
    tokens
}

/// What a query costs and how many aliases it uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Measure {
    pub cost: u64,
    pub aliases: u64,
}

impl Measure {
    fn plus(self, other: Measure) -> Measure {
        Measure {
            cost: self.cost.saturating_add(other.cost),
            aliases: self.aliases.saturating_add(other.aliases),
        }
    }
}

/// Measures the operations of a document (the most expensive one counts), every fragment once.
fn measure(
    document: &ExecutableDocument,
    variables: &Variables,
    limits: &Limits,
) -> ServerResult<Measure> {
    let mut meter = Meter {
        document,
        variables,
        limits,
        fragments: HashMap::new(),
        defaults: HashMap::new(),
    };
    let operations: Vec<&Positioned<OperationDefinition>> = match &document.operations {
        DocumentOperations::Single(operation) => vec![operation],
        DocumentOperations::Multiple(operations) => operations.values().collect(),
    };
    let mut most = Measure::default();
    for operation in operations {
        meter.defaults = operation
            .node
            .variable_definitions
            .iter()
            .filter_map(|definition| {
                let default = definition.node.default_value.as_ref()?;
                Some((definition.node.name.node.to_string(), default.node.clone()))
            })
            .collect();
        // Fragments measured for another operation saw other defaults.
        meter.fragments.clear();
        meter.directives(operation.node.directives.len(), operation.pos)?;
        let measured = meter.selection_set(&operation.node.selection_set.node, 0)?;
        if measured.cost > most.cost
            || (measured.cost == most.cost && measured.aliases > most.aliases)
        {
            most = measured;
        }
    }
    Ok(most)
}

/// A fragment being measured, or its measure.
#[derive(Clone, Copy)]
enum Fragment {
    InProgress,
    Done(Measure),
}

struct Meter<'a> {
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    limits: &'a Limits,
    /// By fragment and how many introspection lists enclose the spread (at most 3 values,
    /// so still linear).
    fragments: HashMap<(&'a str, usize), Fragment>,
    /// The default values of the variables of the operation being measured.
    defaults: HashMap<String, Value>,
}

impl<'a> Meter<'a> {
    fn directives(&self, count: usize, pos: Pos) -> ServerResult<()> {
        if count > self.limits.max_directives {
            let mut error = too_complex(format!(
                "{count} directives on one selection; at most {} are allowed",
                self.limits.max_directives
            ));
            error.locations = vec![pos];
            return Err(error);
        }
        Ok(())
    }

    /// `lists`: how many introspection list fields enclose this selection.
    fn selection_set(&mut self, set: &'a SelectionSet, lists: usize) -> ServerResult<Measure> {
        let mut total = Measure::default();
        for item in &set.items {
            let measured = match &item.node {
                Selection::Field(field) => self.field(&field.node, field.pos, lists)?,
                Selection::InlineFragment(inline) => {
                    self.directives(inline.node.directives.len(), inline.pos)?;
                    self.selection_set(&inline.node.selection_set.node, lists)?
                }
                Selection::FragmentSpread(spread) => {
                    self.directives(spread.node.directives.len(), spread.pos)?;
                    let name = spread.node.fragment_name.node.as_str();
                    let inner = self.fragment(name, spread.pos, lists)?;
                    // A spread costs at least one, so that spreads alone cannot be free.
                    Measure {
                        cost: inner.cost.max(1),
                        aliases: inner.aliases,
                    }
                }
            };
            total = total.plus(measured);
        }
        Ok(total)
    }

    fn field(&mut self, field: &'a Field, pos: Pos, lists: usize) -> ServerResult<Measure> {
        self.directives(field.directives.len(), pos)?;
        let name = field.name.node.as_str();
        let lists = if INTROSPECTION_LISTS.contains(&name) {
            lists + 1
        } else {
            lists
        };
        if lists >= MAX_INTROSPECTION_LISTS {
            let mut error = too_complex(format!(
                "introspection lists (fields, interfaces, possibleTypes, inputFields) nest {lists} deep; they may nest at most {} deep",
                MAX_INTROSPECTION_LISTS - 1
            ));
            error.locations = vec![pos];
            return Err(error);
        }
        let children = self.selection_set(&field.selection_set.node, lists)?;
        let rows = if self.is_connection(&field.selection_set.node, &mut Vec::new()) {
            self.page_size(field)
        } else {
            1
        };
        Ok(Measure {
            cost: 1u64.saturating_add(children.cost.saturating_mul(rows)),
            aliases: u64::from(field.alias.is_some()).saturating_add(children.aliases),
        })
    }

    /// A fragment's measure, measured on its first spread at each introspection nesting.
    fn fragment(&mut self, name: &'a str, pos: Pos, lists: usize) -> ServerResult<Measure> {
        match self.fragments.get(&(name, lists)) {
            Some(Fragment::Done(measure)) => return Ok(*measure),
            Some(Fragment::InProgress) => {
                let mut error = coded(format!("fragment {name} spreads itself"), "BAD_USER_INPUT");
                error.locations = vec![pos];
                return Err(error);
            }
            None => {}
        }
        let Some(definition) = self.document.fragments.get(name) else {
            // Refused here, not left to validation: async-graphql's own checks before
            // validation walk spreads without memoisation, and a chain of spreads ending in
            // an unknown fragment would cost nothing here and forever there.
            let mut error = coded(format!("unknown fragment {name}"), "BAD_USER_INPUT");
            error.locations = vec![pos];
            return Err(error);
        };
        self.fragments.insert((name, lists), Fragment::InProgress);
        self.directives(definition.node.directives.len(), definition.pos)?;
        let measured = self.selection_set(&definition.node.selection_set.node, lists)?;
        self.fragments
            .insert((name, lists), Fragment::Done(measured));
        Ok(measured)
    }

    /// Whether a field's selection reads a connection: selects `edges` or `nodes`, directly or
    /// through inline fragments and fragment spreads (`visited` stops cycles).
    fn is_connection(&self, set: &'a SelectionSet, visited: &mut Vec<&'a str>) -> bool {
        set.items.iter().any(|item| match &item.node {
            Selection::Field(field) => {
                matches!(field.node.name.node.as_str(), "edges" | "nodes")
            }
            Selection::InlineFragment(inline) => {
                self.is_connection(&inline.node.selection_set.node, visited)
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                if visited.contains(&name) {
                    return false;
                }
                visited.push(name);
                self.document.fragments.get(name).is_some_and(|fragment| {
                    self.is_connection(&fragment.node.selection_set.node, visited)
                })
            }
        })
    }

    /// The rows a connection field asks for: `first` or `last` (a literal or a variable),
    /// else the default page; at most the largest page.
    fn page_size(&self, field: &Field) -> u64 {
        let mut size = None;
        for (name, value) in &field.arguments {
            if matches!(name.node.as_str(), "first" | "last") {
                let resolved = value.node.clone().into_const_with(|variable| {
                    let given = self.variables.get(&variable).cloned();
                    let default = self.defaults.get(variable.as_str()).cloned();
                    Ok::<_, ()>(given.or(default).unwrap_or(Value::Null))
                });
                let value = match resolved {
                    Ok(Value::Number(number)) => number.as_u64(),
                    _ => None,
                };
                size = size.max(value);
            }
        }
        // A page size over the maximum is the argument's error (BAD_USER_INPUT), reported
        // when the field runs; the cost counts the largest page there can be.
        size.unwrap_or(DEFAULT_PAGE)
            .clamp(1, crate::service::page::MAX_PAGE_SIZE)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn measured(query: &str) -> ServerResult<Measure> {
        let document = async_graphql::parser::parse_query(query).unwrap();
        measure(&document, &Variables::default(), &Limits::default())
    }

    #[test]
    fn connections_count_by_page_size() {
        let plain = measured("{ a { b c } }").unwrap();
        assert_eq!(plain.cost, 3);
        let page = measured("{ articles(first: 50) { nodes { title tags { name } } } }").unwrap();
        // articles + 50 × (nodes + 50 × (title + tags + name))… nodes is counted per row.
        assert_eq!(page.cost, 1 + 50 * (1 + 3));
        let default = measured("{ articles { totalCount nodes { title } } }").unwrap();
        assert_eq!(default.cost, 1 + 20 * (1 + 1 + 1));
    }

    #[test]
    fn fragment_bombs_are_measured_in_linear_time() {
        let mut query = String::from("{ ...F0 }\n");
        for level in 0..40 {
            let next = level + 1;
            let spreads = (0..8)
                .map(|_| format!("...F{next}"))
                .collect::<Vec<_>>()
                .join(" ");
            query.push_str(&format!(
                "fragment F{level} on Query {{ a: __typename {spreads} }}\n"
            ));
        }
        query.push_str("fragment F40 on Query { __typename }\n");
        let measure = measured(&query).unwrap();
        assert_eq!(measure.cost, u64::MAX);
        let cyclic = measured("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }");
        assert!(cyclic.is_err());
        let unknown = measured(
            "{ ...A } fragment A on Query { ...B ...B } fragment B on Query { ...Missing }",
        );
        assert!(unknown.is_err());
    }

    #[test]
    fn tokens_are_counted() {
        assert_eq!(count_tokens("{ a(b: \"x, y\") { c } } # comment", 100), 11);
        assert_eq!(count_tokens("query Q($v: Int = 1) { ...F }", 100), 14);
    }
}
