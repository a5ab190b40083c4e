"""Group options a user may also give after the subcommand: `hil modem attach --port URL --json`
as well as `hil modem --port URL --json attach`.

Mark a group's options with ``cls=SharedOption`` and make the group a ``SharedOptionsGroup``: every
command added to it (nested groups and their commands too) gets a copy of each shared option. The
group's callback stores the values in ``ctx.obj`` under the parameter names; a copy given on the
command line after the subcommand overwrites its entry (the later, closer one wins), and an absent
copy leaves the group's value (from the command line, an environment variable or the default)."""

from __future__ import annotations

from typing import Any

import click
from click.core import ParameterSource


class SharedOption(click.Option):
    """An option of a SharedOptionsGroup that its subcommands accept as well."""

    def copy_for_subcommand(self) -> SharedOption:
        assert self.name is not None
        flag: dict[str, Any] = {"is_flag": True, "flag_value": self.flag_value} if self.is_flag else {}
        # No envvar and no default: those belong to the group's option, resolved once there.
        return SharedOption(
            [self.name, *self.opts, *self.secondary_opts],
            type=self.type,
            metavar=self.metavar,
            help=self.help,
            expose_value=False,  # the subcommand's function stays as it is; ctx.obj carries the value
            callback=_store,
            **flag,
        )


def _store(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    assert param.name is not None
    if ctx.get_parameter_source(param.name) is ParameterSource.COMMANDLINE:
        if not isinstance(ctx.obj, dict):
            raise RuntimeError("a SharedOptionsGroup's callback must set ctx.obj to a dict")
        ctx.obj[param.name] = value
    return value


class SharedOptionsGroup(click.Group):
    """A click group whose SharedOption options every subcommand (recursively) accepts too."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        super().add_command(cmd, name)
        present = {param.name for param in cmd.params}
        for param in self.params:
            if isinstance(param, SharedOption) and param.name not in present:
                cmd.params.append(param.copy_for_subcommand())
        if isinstance(cmd, SharedOptionsGroup):
            for child in cmd.commands.values():  # commands added to it before it joined this group
                cmd.add_command(child)


# Groups made with @group.group() are of the same kind, so the options reach nested commands.
SharedOptionsGroup.group_class = type
