//! The rules every write follows, whether it comes from a mutation or an import: required
//! texts present, lengths within what the database indexes, BCP 47 languages, ISO 3166-1
//! countries, date ranges in order, and slugs made from titles.

use chrono::NaiveDate;

use crate::AppError;

/// Characters an indexed text may have (PostgreSQL refuses index entries of more than about
/// 2,700 bytes; 500 characters stay under that in any script).
pub const MAX_INDEXED_CHARS: usize = 500;
/// Characters a slug may have.
pub const MAX_SLUG_CHARS: usize = 200;

/// One thing wrong with an input, at the path of the field at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// The problems found in one input so far, every one of them reported together.
#[derive(Debug, Default)]
pub struct Problems {
    /// Put before every field's path (`input`), with a dot; empty for none.
    prefix: String,
    found: Vec<FieldProblem>,
}

impl Problems {
    /// Problems in fields under `prefix` (`input` gives `input.title`).
    pub fn under(prefix: &str) -> Self {
        Problems {
            prefix: prefix.to_owned(),
            found: Vec::new(),
        }
    }

    /// The full path of `field`.
    pub fn path(&self, field: &str) -> String {
        match (self.prefix.is_empty(), field.is_empty()) {
            (true, _) => field.to_owned(),
            (false, true) => self.prefix.clone(),
            (false, false) => format!("{}.{field}", self.prefix),
        }
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        let field = self.path(field);
        self.found.push(FieldProblem {
            field,
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    /// A required text: not empty or blank, at most `max` characters, no NUL.
    pub fn required(&mut self, field: &str, value: &str, max: usize) {
        if value.trim().is_empty() {
            self.add(field, "must not be empty");
        } else {
            self.optional(field, Some(value), max);
        }
    }

    /// An optional text: at most `max` characters (when limited), no NUL.
    pub fn optional(&mut self, field: &str, value: Option<&str>, max: usize) {
        let Some(value) = value else { return };
        if value.contains('\0') {
            self.add(field, "must not contain a NUL character");
        } else if value.chars().count() > max {
            self.add(field, format!("must be at most {max} characters long"));
        }
    }

    /// A BCP 47 language tag ("en", "zh-Hans").
    pub fn language(&mut self, field: &str, value: &str) {
        if language_tags::LanguageTag::parse(value).is_err() || value.len() > 35 {
            self.add(
                field,
                format!("{value:?} is not a BCP 47 language tag (like \"en\" or \"zh-Hans\")"),
            );
        }
    }

    /// An ISO 3166-1 alpha-2 country code ("CN"), when given.
    pub fn country(&mut self, field: &str, value: Option<&str>) {
        let Some(value) = value else { return };
        if !is_country(value) {
            self.add(
                field,
                format!("{value:?} is not an ISO 3166-1 alpha-2 country code (like \"CN\")"),
            );
        }
    }

    /// A range of dates: the end, when both are given, is not before the start.
    pub fn date_range(
        &mut self,
        field: &str,
        started: Option<NaiveDate>,
        ended: Option<NaiveDate>,
    ) {
        if let (Some(started), Some(ended)) = (started, ended) {
            if ended < started {
                self.add(field, format!("{ended} is before the start, {started}"));
            }
        }
    }

    /// A slug given by the client: not blank, at most 200 characters, no NUL.
    pub fn slug(&mut self, field: &str, value: &str) {
        self.required(field, value, MAX_SLUG_CHARS);
    }

    /// Entries of a list that repeat an earlier one, each named at its own index.
    pub fn no_repeats<T: std::hash::Hash + Eq>(
        &mut self,
        field: &str,
        items: &[T],
        describe: impl Fn(usize) -> String,
    ) {
        let mut first_at: std::collections::HashMap<&T, usize> = std::collections::HashMap::new();
        for (index, item) in items.iter().enumerate() {
            match first_at.get(item) {
                Some(&first) => {
                    let message =
                        format!("{} is given twice (also at index {first})", describe(index));
                    self.add(&format!("{field}[{index}]"), message);
                }
                None => {
                    first_at.insert(item, index);
                }
            }
        }
    }

    /// Every problem found, in the order found.
    pub fn into_vec(self) -> Vec<FieldProblem> {
        self.found
    }

    /// `Ok` when nothing was found, else a `BAD_USER_INPUT` error carrying every problem.
    pub fn check(self) -> Result<(), AppError> {
        if self.found.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self.found))
        }
    }
}

/// A slug made from a title or name: letters and digits of any script kept (Latin ones
/// lower-cased), every run of anything else one `-`, at most 200 characters; `fallback` when
/// nothing is left.
pub fn slugify(text: &str, fallback: &str) -> String {
    let mut slug = String::new();
    let mut gap = false;
    for character in text.chars() {
        if character.is_alphanumeric() {
            if gap && !slug.is_empty() {
                slug.push('-');
            }
            gap = false;
            slug.extend(character.to_lowercase());
        } else {
            gap = true;
        }
    }
    let slug: String = slug.chars().take(MAX_SLUG_CHARS - 8).collect();
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        fallback.to_owned()
    } else {
        slug.to_owned()
    }
}

/// Whether `code` is an officially assigned ISO 3166-1 alpha-2 code.
pub fn is_country(code: &str) -> bool {
    code.len() == 2 && COUNTRIES.split(' ').any(|known| known == code)
}

/// The 249 officially assigned ISO 3166-1 alpha-2 codes.
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN \
BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE \
EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU \
ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY \
MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM \
PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS \
ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS \
YE YT ZA ZM ZW";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_keep_chinese_and_lower_latin() {
        assert_eq!(
            slugify("Xi Jinping meets Patrushev!", "x"),
            "xi-jinping-meets-patrushev"
        );
        assert_eq!(slugify("习近平 会见 Патрушев", "x"), "习近平-会见-патрушев");
        assert_eq!(slugify("  --  ", "article"), "article");
        assert_eq!(slugify("C'est déjà l'été", "x"), "c-est-déjà-l-été");
    }

    #[test]
    fn there_are_249_countries() {
        assert_eq!(COUNTRIES.split(' ').count(), 249);
        assert!(is_country("CN") && is_country("RU") && !is_country("XX") && !is_country("cn"));
    }

    #[test]
    fn languages_are_bcp_47() {
        let mut problems = Problems::under("input");
        for good in ["en", "zh", "zh-Hans", "en-GB", "sr-Latn-RS"] {
            problems.language("language", good);
        }
        assert!(problems.is_empty());
        for bad in ["", "english!", "e", "en_GB"] {
            problems.language("language", bad);
        }
        assert_eq!(problems.into_vec().len(), 4);
    }
}
