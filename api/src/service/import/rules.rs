//! The rules of `service::validate` applied to imported records, so that an import and a
//! mutation never disagree about what is valid. Lengths and NUL characters are checked as
//! the records are read (`parse.rs`); duplicates in lists as they are written.

use super::Problem;
use crate::service::record::{ArticleRecord, MeetingRecord, PersonRecord, QuoteRecord, Record};
use crate::service::validate::{Problems, MAX_INDEXED_CHARS};

/// The first problem of a record, if any.
pub(super) fn check(record: &Record) -> Result<(), Problem> {
    let mut problems = Problems::under("");
    match record {
        Record::Source(source) => problems.required("name", &source.name, MAX_INDEXED_CHARS),
        Record::Tag(tag) => problems.required("name", &tag.name, MAX_INDEXED_CHARS),
        Record::Person(person) => check_person(&mut problems, person),
        Record::Meeting(meeting) => check_meeting(&mut problems, meeting),
        Record::Article(article) => check_article(&mut problems, article),
    }
    match problems.into_vec().into_iter().next() {
        Some(first) => Err(Problem::new(first.field, first.message)),
        None => Ok(()),
    }
}

fn check_person(problems: &mut Problems, person: &PersonRecord) {
    problems.required("name", &person.name, MAX_INDEXED_CHARS);
    problems.country("country", person.country.as_deref());
    for (index, alias) in person.aliases.iter().enumerate() {
        problems.required(&format!("aliases[{index}]"), alias, MAX_INDEXED_CHARS);
    }
    for (index, held) in person.positions.iter().enumerate() {
        let at = format!("positions[{index}]");
        problems.required(&format!("{at}.title"), &held.title, MAX_INDEXED_CHARS);
        problems.date_range(&format!("{at}.endedOn"), held.started_on, held.ended_on);
    }
}

fn check_meeting(problems: &mut Problems, meeting: &MeetingRecord) {
    problems.required("title", &meeting.title, MAX_INDEXED_CHARS);
    problems.country("country", meeting.country.as_deref());
}

fn check_article(problems: &mut Problems, article: &ArticleRecord) {
    problems.required("title", &article.title, MAX_INDEXED_CHARS);
    problems.language("language", &article.language);
    for (index, said) in article.quotes.iter().enumerate() {
        check_quote(problems, index, said);
    }
}

fn check_quote(problems: &mut Problems, index: usize, said: &QuoteRecord) {
    problems.required(&format!("quotes[{index}].text"), &said.text, usize::MAX);
}
