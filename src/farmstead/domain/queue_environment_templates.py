"""Queue environment templates: an OpenJD `environment-2023-09` document, checked by openjd-model.

Owns: parsing the template text as the declared templateType (JSON or YAML, within the bounds of
domain/template_documents.py), validating it with
openjd-model, and reading the environment's name from it (queue environments are named by their template).
Must not: touch storage or HTTP; a bad template is reported as TemplateError with openjd-model's explanation.
"""

from __future__ import annotations

from openjd.model import DecodeValidationError, decode_environment_template
from openjd.model.v2023_09 import ExtensionName

from farmstead.domain.template_documents import DocumentError, load_document

# Every extension the installed openjd-model implements: the sessions library of the same release runs them.
_EXTENSIONS = tuple(extension.value for extension in ExtensionName)


class TemplateError(ValueError):
    """The template is not a valid environment template of the declared type; str() says why."""


def environment_name(template: str, template_type: str) -> str:
    """The name of the environment the template defines, after full validation."""
    try:
        document = load_document(template, template_type)
        decoded = decode_environment_template(template=document, supported_extensions=_EXTENSIONS)
    except (DecodeValidationError, DocumentError) as error:
        raise TemplateError(f"The environment template is not valid: {error}") from None
    except NotImplementedError as error:  # a specification version openjd-model knows but cannot decode
        raise TemplateError(f"The environment template is not supported: {error}") from None
    return decoded.environment.name
