//! Sizes the whole server agrees on: the extractor that enforces a limit, the middleware that configures
//! actix with it and the error that reports it all read the same constant from here.

/// The largest JSON body accepted. Photos travel separately; no JSON document of ours is near this.
pub const JSON_LIMIT: usize = 64 * 1024;
