//! The browser side (work in progress).
