//! The exported schema: `schema.graphql` is up to date, and the served schema keeps the
//! contract (`contract.graphql`) for every part that has landed.

use std::collections::{BTreeMap, BTreeSet};

use async_graphql_parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};

const SCHEMA_FILE: &str = include_str!("../../../schema.graphql");
const CONTRACT: &str = include_str!("../../../contract.graphql");

/// Parts of the contract that later issues bring: types and fields not served yet.
const NOT_YET_TYPES: &[&str] = &["Subscription"];
const NOT_YET_FIELDS: &[(&str, &str)] = &[];
const NOT_YET_ARGUMENTS: &[&str] = &[];

#[test]
fn schema_graphql_is_the_served_schema() {
    let served = content_api::graphql::sdl();
    if served != SCHEMA_FILE {
        panic!("schema.graphql is stale: run `cargo run -- schema > schema.graphql`");
    }
}

/// What a schema declares: per type, its kind, fields (with argument types) or values.
#[derive(Default)]
struct Shape {
    kinds: BTreeMap<String, &'static str>,
    fields: BTreeMap<(String, String), (Type, BTreeMap<String, Type>)>,
    values: BTreeMap<String, BTreeSet<String>>,
    interfaces: BTreeMap<String, BTreeSet<String>>,
    unions: BTreeMap<String, BTreeSet<String>>,
    inputs: BTreeMap<(String, String), Type>,
}

fn shape(sdl: &str) -> Shape {
    let document = async_graphql_parser::parse_schema(sdl).expect("parse SDL");
    let mut shape = Shape::default();
    for definition in document.definitions {
        let TypeSystemDefinition::Type(definition) = definition else {
            continue;
        };
        let definition = definition.node;
        let name = definition.name.node.to_string();
        let kind = match definition.kind {
            TypeKind::Scalar => "scalar",
            TypeKind::Object(object) => {
                shape.interfaces.insert(
                    name.clone(),
                    object
                        .implements
                        .iter()
                        .map(|i| i.node.to_string())
                        .collect(),
                );
                for field in object.fields {
                    let field = field.node;
                    let arguments = field
                        .arguments
                        .iter()
                        .map(|a| (a.node.name.node.to_string(), a.node.ty.node.clone()))
                        .collect();
                    shape.fields.insert(
                        (name.clone(), field.name.node.to_string()),
                        (field.ty.node, arguments),
                    );
                }
                "object"
            }
            TypeKind::Interface(interface) => {
                for field in interface.fields {
                    let field = field.node;
                    shape.fields.insert(
                        (name.clone(), field.name.node.to_string()),
                        (field.ty.node, BTreeMap::new()),
                    );
                }
                "interface"
            }
            TypeKind::Union(union) => {
                shape.unions.insert(
                    name.clone(),
                    union.members.iter().map(|m| m.node.to_string()).collect(),
                );
                "union"
            }
            TypeKind::Enum(enumeration) => {
                shape.values.insert(
                    name.clone(),
                    enumeration
                        .values
                        .iter()
                        .map(|v| v.node.value.node.to_string())
                        .collect(),
                );
                "enum"
            }
            TypeKind::InputObject(input) => {
                for field in input.fields {
                    let field = field.node;
                    shape
                        .inputs
                        .insert((name.clone(), field.name.node.to_string()), field.ty.node);
                }
                "input"
            }
        };
        shape.kinds.insert(name, kind);
    }
    shape
}

/// Whether a served output type can stand where the contract's is expected
/// (the same, or stricter: `String` → `String!`).
fn output_compatible(contract: &Type, served: &Type) -> bool {
    if !contract.nullable && served.nullable {
        return false;
    }
    match (&contract.base, &served.base) {
        (BaseType::Named(a), BaseType::Named(b)) => a == b,
        (BaseType::List(a), BaseType::List(b)) => output_compatible(a, b),
        _ => false,
    }
}

/// Whether a served argument accepts what the contract's does (the same, or looser).
fn input_compatible(contract: &Type, served: &Type) -> bool {
    if contract.nullable && !served.nullable {
        return false;
    }
    match (&contract.base, &served.base) {
        (BaseType::Named(a), BaseType::Named(b)) => a == b,
        (BaseType::List(a), BaseType::List(b)) => input_compatible(a, b),
        _ => false,
    }
}

/// Every way `served` breaks `contract` in the parts that have landed.
fn breaks(contract: &Shape, served: &Shape) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, kind) in &contract.kinds {
        if NOT_YET_TYPES.contains(&name.as_str()) {
            continue;
        }
        match served.kinds.get(name) {
            None => problems.push(format!("missing type {name}")),
            Some(found) if found != kind => {
                problems.push(format!("{name} is a {found}, not a {kind}"))
            }
            _ => {}
        }
    }
    for ((type_name, field), (ty, arguments)) in &contract.fields {
        if NOT_YET_TYPES.contains(&type_name.as_str())
            || NOT_YET_FIELDS.contains(&(type_name.as_str(), field.as_str()))
        {
            continue;
        }
        let Some((served_ty, served_arguments)) =
            served.fields.get(&(type_name.clone(), field.clone()))
        else {
            problems.push(format!("missing field {type_name}.{field}"));
            continue;
        };
        if !output_compatible(ty, served_ty) {
            problems.push(format!(
                "{type_name}.{field} is {served_ty}, the contract says {ty}"
            ));
        }
        for (argument, argument_ty) in arguments {
            if NOT_YET_ARGUMENTS.contains(&argument.as_str()) {
                continue;
            }
            match served_arguments.get(argument) {
                None => problems.push(format!("missing argument {type_name}.{field}({argument})")),
                Some(served_ty) if !input_compatible(argument_ty, served_ty) => problems.push(format!(
                    "{type_name}.{field}({argument}) is {served_ty}, the contract says {argument_ty}"
                )),
                _ => {}
            }
        }
        for (argument, served_ty) in served_arguments {
            if !arguments.contains_key(argument) && !served_ty.nullable {
                problems.push(format!(
                    "{type_name}.{field} adds the required argument {argument}"
                ));
            }
        }
    }
    for ((type_name, field), ty) in &contract.inputs {
        if NOT_YET_TYPES.contains(&type_name.as_str()) {
            continue;
        }
        match served.inputs.get(&(type_name.clone(), field.clone())) {
            None => problems.push(format!("missing input field {type_name}.{field}")),
            Some(served_ty) if !input_compatible(ty, served_ty) => problems.push(format!(
                "{type_name}.{field} is {served_ty}, the contract says {ty}"
            )),
            _ => {}
        }
    }
    for ((type_name, field), served_ty) in &served.inputs {
        if !contract
            .inputs
            .contains_key(&(type_name.clone(), field.clone()))
            && !served_ty.nullable
        {
            problems.push(format!("{type_name} adds the required input field {field}"));
        }
    }
    for (name, values) in &contract.values {
        if NOT_YET_TYPES.contains(&name.as_str()) {
            continue;
        }
        let served_values = served.values.get(name).cloned().unwrap_or_default();
        for value in values.difference(&served_values) {
            problems.push(format!("missing enum value {name}.{value}"));
        }
    }
    for (name, interfaces) in &contract.interfaces {
        if NOT_YET_TYPES.contains(&name.as_str()) {
            continue;
        }
        let served_interfaces = served.interfaces.get(name).cloned().unwrap_or_default();
        for interface in interfaces.difference(&served_interfaces) {
            problems.push(format!("{name} does not implement {interface}"));
        }
    }
    problems
}

#[test]
fn the_served_schema_keeps_the_contract() {
    let problems = breaks(&shape(CONTRACT), &shape(&content_api::graphql::sdl()));
    assert!(
        problems.is_empty(),
        "the served schema breaks the contract:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_contract_check_catches_breaks() {
    let contract = shape(CONTRACT);
    let served = content_api::graphql::sdl();
    let broken = [
        served.replace("\ttotalCount: Int!\n", "\ttotalCount: Int\n"),
        served.replace("\tATTENDEE\n", "\tATTENDEES\n"),
        served.replace("type Participant {", "type Participant2 {"),
        served.replace("slug: String): Article", "slug2: String): Article"),
        served.replace("\tstartsWith: String\n", "\tstartsWith2: String\n"),
    ];
    for (i, sdl) in broken.iter().enumerate() {
        assert_ne!(sdl, &served, "case {i} did not change the SDL");
        assert!(
            !breaks(&contract, &shape(sdl)).is_empty(),
            "case {i} was not caught"
        );
    }
}
