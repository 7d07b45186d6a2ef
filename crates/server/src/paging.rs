//! Paging of lists (issue 16): every list of the API is read a page at a time (`?limit=` from 1
//! to [`MAX_LIMIT`], default [`DEFAULT_LIMIT`]; `?offset=` skips that many), so an answer's
//! size and cost do not grow with a patient's or a clinic's history (one list had reached
//! 2.5 MB). A page shorter than `limit` is the last.

use needlepath_store::Page;
use serde::Deserialize;

use crate::problem::ApiError;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;
/// The deepest offset accepted: past it, narrow the list instead.
pub const MAX_OFFSET: u32 = 1_000_000;

/// `?limit=&offset=` of a list.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
pub struct PageQuery {
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

impl PageQuery {
    /// The page asked for; a limit or offset out of range is refused, naming the field.
    pub fn page(self) -> Result<Page, ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::invalid("limit", format!("must be from 1 to {MAX_LIMIT}")));
        }
        let offset = self.offset.unwrap_or(0);
        if offset > MAX_OFFSET {
            return Err(ApiError::invalid("offset", format!("must be from 0 to {MAX_OFFSET}")));
        }
        Ok(Page::new(limit, offset))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_bounded_and_a_bad_one_names_its_field() {
        assert_eq!(PageQuery::default().page().unwrap(), Page::new(DEFAULT_LIMIT, 0));
        assert_eq!(PageQuery { limit: Some(200), offset: Some(400) }.page().unwrap(), Page::new(200, 400));
        for bad in [0, 201, u32::MAX] {
            let e = PageQuery { limit: Some(bad), offset: None }.page().unwrap_err();
            assert_eq!(e.field.as_deref(), Some("limit"), "{bad}");
        }
        let e = PageQuery { limit: None, offset: Some(MAX_OFFSET + 1) }.page().unwrap_err();
        assert_eq!(e.field.as_deref(), Some("offset"));
    }
}
