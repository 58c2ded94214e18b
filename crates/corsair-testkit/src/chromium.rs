//! Headless Chromium driven over the DevTools protocol (filled in by the differential suite).
