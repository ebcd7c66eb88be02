//! Mach IPC: ports, rights, port name spaces, port sets and messages.
