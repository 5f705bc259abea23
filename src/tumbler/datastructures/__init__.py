"""Data structures of the HTTP core: multi-value dicts, headers, uploaded files and parsed header values."""

# --- A ---
from .file_storage import FileMultiDict as FileMultiDict
from .file_storage import FileStorage as FileStorage
from .headers import EnvironHeaders as EnvironHeaders
from .headers import Headers as Headers
from .headers import HeaderSet as HeaderSet
from .headers import ImmutableHeadersMixin as ImmutableHeadersMixin
from .structures import CallbackDict as CallbackDict
from .structures import CombinedMultiDict as CombinedMultiDict
from .structures import ImmutableDict as ImmutableDict
from .structures import ImmutableDictMixin as ImmutableDictMixin
from .structures import ImmutableList as ImmutableList
from .structures import ImmutableListMixin as ImmutableListMixin
from .structures import ImmutableMultiDict as ImmutableMultiDict
from .structures import ImmutableMultiDictMixin as ImmutableMultiDictMixin
from .structures import ImmutableTypeConversionDict as ImmutableTypeConversionDict
from .structures import MultiDict as MultiDict
from .structures import TypeConversionDict as TypeConversionDict
from .structures import UpdateDictMixin as UpdateDictMixin
from .structures import iter_multi_items as iter_multi_items

__all__ = [
    "CallbackDict",
    "CombinedMultiDict",
    "EnvironHeaders",
    "FileMultiDict",
    "FileStorage",
    "HeaderSet",
    "Headers",
    "ImmutableDict",
    "ImmutableDictMixin",
    "ImmutableHeadersMixin",
    "ImmutableList",
    "ImmutableListMixin",
    "ImmutableMultiDict",
    "ImmutableMultiDictMixin",
    "ImmutableTypeConversionDict",
    "MultiDict",
    "TypeConversionDict",
    "UpdateDictMixin",
    "iter_multi_items",
]
# --- end A ---

# --- B ---
from .accept import Accept as Accept
from .accept import CharsetAccept as CharsetAccept
from .accept import LanguageAccept as LanguageAccept
from .accept import MIMEAccept as MIMEAccept
from .auth import Authorization as Authorization
from .auth import WWWAuthenticate as WWWAuthenticate
from .cache_control import ContentSecurityPolicy as ContentSecurityPolicy
from .cache_control import RequestCacheControl as RequestCacheControl
from .cache_control import ResponseCacheControl as ResponseCacheControl
from .etag import ETags as ETags
from .etag import IfRange as IfRange
from .range import ContentRange as ContentRange
from .range import Range as Range

__all__ += [
    "Accept",
    "Authorization",
    "CharsetAccept",
    "ContentRange",
    "ContentSecurityPolicy",
    "ETags",
    "IfRange",
    "LanguageAccept",
    "MIMEAccept",
    "Range",
    "RequestCacheControl",
    "ResponseCacheControl",
    "WWWAuthenticate",
]
# --- end B ---
