//! Accounts looked up as keepalived 2.2.7 looks them up (`getpwnam_r`/`getgrnam_r`, so through
//! NSS: files, LDAP, sssd, systemd's dynamic users alike). The one place the configuration checks
//! and the daemon ask who a user or group is.

/// Whether user `name` exists; `None` when the lookup itself failed (then nothing is concluded).
pub fn user_exists(name: &str) -> Option<bool> {
    nix::unistd::User::from_name(name).ok().map(|u| u.is_some())
}

/// Whether group `name` exists; `None` when the lookup itself failed.
pub fn group_exists(name: &str) -> Option<bool> {
    nix::unistd::Group::from_name(name)
        .ok()
        .map(|g| g.is_some())
}

/// The uid and gid of `user`, the gid of `group` when given (else the user's own), as
/// keepalived's `set_uid_gid`; `None` when either does not exist or cannot be looked up.
pub fn ids(user: &str, group: Option<&str>) -> Option<(u32, u32)> {
    let u = nix::unistd::User::from_name(user).ok().flatten()?;
    let gid = match group {
        Some(g) => nix::unistd::Group::from_name(g).ok().flatten()?.gid,
        None => u.gid,
    };
    Some((u.uid.as_raw(), gid.as_raw()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_exists_and_numbers_are_not_names() {
        assert_eq!(user_exists("root"), Some(true));
        assert_eq!(ids("root", None), Some((0, 0)));
        assert_eq!(user_exists("no-such-user-kars"), Some(false));
        assert_eq!(group_exists("no-such-group-kars"), Some(false));
        // keepalived asks getpwnam only: "0" is a name no account has.
        assert_eq!(user_exists("0"), Some(false));
    }
}
