#include "http/status.h"

int http_status_for(err_t code)
{
	switch (code) {
	case ERR_INVALID:
	case ERR_CONFLICT:
		return 400;
	case ERR_PERMISSION:
		return 403;
	case ERR_NOT_FOUND:
		return 404;
	case ERR_UNSUPPORTED:
		return 405;
	case ERR_TOO_LARGE:
		return 413;
	case ERR_MEDIA_TYPE:
		return 415;
	case ERR_SEALED:
	case ERR_UNAVAILABLE:
	case ERR_NOMEM:
		return 503;
	default:
		return 500;
	}
}

const char *http_status_reason(int status)
{
	switch (status) {
	case 100:
		return "Continue";
	case 200:
		return "OK";
	case 202:
		return "Accepted";
	case 204:
		return "No Content";
	case 307:
		return "Temporary Redirect";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 412:
		return "Precondition Failed";
	case 413:
		return "Content Too Large";
	case 415:
		return "Unsupported Media Type";
	case 417:
		return "Expectation Failed";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Unknown";
	}
}
