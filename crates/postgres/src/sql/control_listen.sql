-- This session hears of changes of connectors (NOTIFY inlet_control).
LISTEN inlet_control
