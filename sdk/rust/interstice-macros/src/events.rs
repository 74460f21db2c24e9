//! The events a reducer may run on (`#[reducer(on = "…")]`), checked at
//! compile time as the node checks them at load (abi::EventName).

fn identifier(part: &str) -> bool {
    let mut chars = part.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Ok, or why `event` is not one.
pub fn check(event: &str) -> Result<(), String> {
    if matches!(
        event,
        "init" | "load" | "input" | "render" | "peer.connect" | "peer.disconnect"
    ) {
        return Ok(());
    }
    let parts: Vec<&str> = event.split('.').collect();
    let table_event = (parts.len() == 3 || parts.len() == 4)
        && parts[..parts.len() - 1].iter().all(|p| identifier(p))
        && matches!(parts[parts.len() - 1], "insert" | "update" | "delete");
    if table_event {
        return Ok(());
    }
    Err(format!(
        "'{event}' is not an event: \"init\", \"load\", \"input\", \"render\", \"peer.connect\", \
         \"peer.disconnect\", \"module.table.insert\" (or .update, .delete), or \
         \"Node.module.table.insert\" for a remote node's table"
    ))
}
