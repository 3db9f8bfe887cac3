//! Where berth keeps things: --root, $BERTH_ROOT, XDG. The only code that picks them.
