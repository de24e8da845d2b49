"""Steps of ``manage.py load_all``: each app registers, in ``AppConfig.ready()``, how it loads the
real data shipped in ``fixtures/`` (and its first computations), so that one command builds a
complete portal without territories importing the other apps."""

_steps = []


def register(order: int, name: str):
    """Decorator: ``@register(20, "offre de soins")`` on a callable ``step(stdout, dry_run=False)``."""

    def decorator(step):
        if all(s[2] is not step for s in _steps):
            _steps.append((order, name, step))
        return step

    return decorator


def steps():
    return sorted(_steps, key=lambda s: s[0])
