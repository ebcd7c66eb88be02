//! Small tasks that the integration tests boot as modules. Each binary in
//! src/bin is one scenario; the tests assert on what it prints.
#![no_std]
