"""sshd_login_problems / sshd_authorized_keys_files: sshd's access rules applied to real `sshd -T -C` dumps.

The dumps (fixtures/sshd_T, see its README) come from OpenSSH 9.2 on the test-bed image; sshd evaluated
the Match blocks itself, so what is tested here is the part sshd does not evaluate in test mode.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.pronk8s.platform.plugins.filter.sshd_authorized_keys_files import sshd_authorized_keys_files
from ansible_collections.pronk8s.platform.plugins.filter.sshd_login_problems import sshd_login_problems
from ansible_collections.pronk8s.platform.plugins.module_utils._sshd_access import (
    match_pattern_list,
    match_user,
    parse_sshd_t,
)

DUMPS = Path(__file__).parent / "fixtures" / "sshd_T"
CLIENT = "172.30.90.1"
ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJxXQmR0nL0o7v1d5H3mYlGQ0m9hJpU3w3d8rS8l2fQe test@example"
RSA = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 test@example"


def dump(name: str) -> str:
    return (DUMPS / f"{name}.txt").read_text()


def problems(name: str, user: str = "ansible", auth: str = "publickey", address: str = CLIENT,
             groups: list[str] | None = None, keys: list[str] | None = None) -> list[str]:
    return sshd_login_problems(dump(name), user=user, auth=auth, address=address,
                               groups=["ansible", "adm"] if groups is None else groups,
                               keys=[ED25519] if keys is None else keys)


def test_every_value_of_a_keyword_is_kept() -> None:
    settings = parse_sshd_t(dump("denyusers-ansible-ops-as-ansible"))
    assert settings["denyusers"] == ["ansible", "ops"]


def test_default_config_lets_root_in_by_key() -> None:
    assert problems("default-root", user="root", groups=["root"]) == []


def test_denyusers_with_two_users_refuses_the_first() -> None:
    # Before the fix only the last DenyUsers line (ops) was read and ansible passed.
    assert problems("denyusers-ansible-ops-as-ansible") == [f"denyusers ansible matches ansible from {CLIENT}"]


def test_allowusers_with_two_users_admits_the_first() -> None:
    # Before the fix only the last AllowUsers line (ops) was read and ansible was refused.
    assert problems("allowusers-ansible-ops-as-ansible") == []


def test_allowusers_without_the_user_refuses() -> None:
    assert problems("allowusers-ansible-ops-as-root", user="root", groups=["root"]) == [
        f"allowusers ansible ops does not list root from {CLIENT}"]


def test_denygroups_matching_a_group_of_the_user_refuses() -> None:
    assert problems("denygroups-adm-as-ansible") == ["denygroups nosuch adm matches the group(s) of ansible: adm (adm)"]


def test_allowgroups_without_a_group_of_the_user_refuses() -> None:
    assert problems("allowgroups-wheel-as-ansible") == [
        "allowgroups wheel sudo lists none of the groups of ansible (ansible, adm)"]
    assert problems("allowgroups-wheel-as-ansible", groups=["ansible", "sudo"]) == []


def test_group_rules_with_unknown_groups_fail_closed() -> None:
    assert problems("denygroups-adm-as-ansible", groups=[]) == [
        "allowgroups/denygroups are set but the groups of ansible are unknown"]


def test_match_address_block_for_the_client_refuses() -> None:
    # sshd applied the Match block for the real client address; from elsewhere it does not apply.
    assert problems("match-address-deny-from-client") == [f"denyusers ansible matches ansible from {CLIENT}"]
    assert problems("match-address-deny-from-other", address="10.1.2.3") == []


def test_match_localport_block_applies_with_laddr_and_lport() -> None:
    assert problems("match-localport-pubkey-off", user="root", groups=["root"]) == ["pubkeyauthentication=no"]


def test_authentication_methods_needing_two_methods_refuse_a_key_login() -> None:
    assert problems("authmethods-publickey-and-password", user="root", groups=["root"]) == [
        "authenticationmethods publickey,password has no list that publickey alone completes"]
    assert problems("authmethods-publickey-or-both", user="root", groups=["root"]) == []


def test_pubkey_algorithms_are_checked_against_the_key_type() -> None:
    assert problems("pubkey-algorithms-rsa-only", user="root", groups=["root"]) == [
        "pubkeyacceptedalgorithms rsa-sha2-512,rsa-sha2-256 accepts no signature of a ssh-ed25519 key (ssh-ed25519)"]
    # An RSA key signs with rsa-sha2-* (OpenSSH clients since 8.8 no longer use ssh-rsa signatures).
    assert problems("pubkey-algorithms-rsa-only", user="root", groups=["root"], keys=[RSA]) == []
    assert problems("pubkey-algorithms-rsa-only", user="root", groups=["root"], keys=["ssh-rsa"]) == []
    # Every key that may be used must be accepted.
    assert len(problems("pubkey-algorithms-rsa-only", user="root", groups=["root"], keys=[RSA, ED25519])) == 1


def test_unknown_key_type_fails_closed() -> None:
    assert problems("default-root", user="root", groups=["root"], keys=[]) == ["the key type of the connection is unknown"]
    # A password login needs no key.
    assert "the key type" not in " ".join(problems("default-root", user="root", auth="password", keys=[]))


def test_user_at_cidr_patterns() -> None:
    assert problems("allowusers-cidr") == []
    assert problems("allowusers-cidr", address="10.9.9.9") == [
        "allowusers ansible@172.30.90.0/24 ops@!10.0.0.1,10.* does not list ansible from 10.9.9.9"]


@pytest.mark.parametrize(("user", "address", "pattern", "expected"), [
    ("ansible", "10.0.0.5", "ansible", 1),
    ("ansible", "10.0.0.5", "ans*", 1),
    ("ansible", "10.0.0.5", "an?ible", 1),
    ("ansible", "10.0.0.5", "Ansible", 0),  # user names are case-sensitive in sshd
    ("ansible", "10.0.0.5", "ansible@10.0.0.0/8", 1),
    ("ansible", "10.0.0.5", "ansible@10.0.0.1/8", 1),  # sshd masks the host bits
    ("ansible", "10.0.0.5", "ansible@192.168.0.0/16", 0),
    ("ansible", "10.0.0.5", "ansible@10.0.0.*", 1),
    ("ansible", "10.0.0.5", "ansible@!10.0.0.5,10.*", 0),  # a negated match wins
    ("ansible", "10.0.0.6", "ansible@!10.0.0.5,10.*", 1),
    ("ansible", "2001:db8::1", "ansible@2001:db8::/32", 1),
    ("ansible", "10.0.0.5", "ops@10.0.0.5", 0),
    ("a@b", "10.0.0.5", "a@b@10.0.0.5", 1),  # the last '@' splits user and host
])
def test_match_user_follows_openssh(user, address, pattern, expected) -> None:
    assert match_user(user, address, address, pattern) == expected


def test_match_pattern_list_negation() -> None:
    assert match_pattern_list("web1", "web*,!web1") == -1
    assert match_pattern_list("web2", "web*,!web1") == 1
    assert match_pattern_list("db", "web*") == 0


def test_forcecommand_for_the_user_refuses() -> None:
    assert problems("match-user-forcecommand") == [
        "forcecommand /usr/bin/false applies to ansible (Ansible could log in but not run its modules)"]


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(AnsibleFilterError, match="auth must be one of publickey, password"):
        sshd_login_problems(dump("default-root"), user="root", auth="hostbased", address=CLIENT)
    with pytest.raises(AnsibleFilterError, match="user and address are required"):
        sshd_login_problems(dump("default-root"), user="root", auth="publickey", address="")


def test_authorized_keys_files_expand_tokens() -> None:
    assert sshd_authorized_keys_files(dump("default-root"), user="root", home="/root") == [
        "/root/.ssh/authorized_keys", "/root/.ssh/authorized_keys2"]
    text = "authorizedkeysfile /etc/ssh/keys/%u .ssh/k_%U %h/x%%\n"
    assert sshd_authorized_keys_files(text, user="ops", home="/home/ops", uid=1001) == [
        "/etc/ssh/keys/ops", "/home/ops/.ssh/k_1001", "/home/ops/x%"]
    assert sshd_authorized_keys_files("authorizedkeysfile none\n", user="ops", home="/home/ops") == []
