//! A helper child of berth in a new user namespace with the mapping containers use.
