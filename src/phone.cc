/*
 * phone — libphonenumber behind a C interface (see phone.h). The only C++
 * file of the project: every call is wrapped so that no exception reaches
 * C code, and nothing C++ appears in the header.
 */
#include "shopsync/phone.h"

#include <cstdio>
#include <cstring>
#include <set>
#include <string>

#include <phonenumbers/phonenumberutil.h>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

/* Longer input is not a phone number; it also bounds libphonenumber's work. */
#define PHONE_INPUT_MAX 64

static void set_err(char *err, size_t errlen, const char *msg)
{
    if (err && errlen)
        std::snprintf(err, errlen, "%s", msg);
}

extern "C" int phone_e164(const char *input, const char *region, char out[PHONE_E164_MAX], char *err,
                          size_t errlen)
{
    out[0] = '\0';
    try {
        if (std::strlen(input) > PHONE_INPUT_MAX) {
            set_err(err, errlen, "longer than 64 characters");
            return -1;
        }
        const PhoneNumberUtil *u = PhoneNumberUtil::GetInstance();
        PhoneNumber n;
        PhoneNumberUtil::ErrorType rc = u->Parse(std::string(input), std::string(region), &n);
        if (rc == PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR) {
            set_err(err, errlen, "no country code, and none can be assumed: write it with + and the country code");
            return -1;
        }
        if (rc != PhoneNumberUtil::NO_PARSING_ERROR) {
            set_err(err, errlen, "not a phone number");
            return -1;
        }
        if (!u->IsPossibleNumber(n)) {
            set_err(err, errlen, "not a possible phone number for its country (too short or too long)");
            return -1;
        }
        std::string e164;
        u->Format(n, PhoneNumberUtil::E164, &e164);
        if (e164.size() >= PHONE_E164_MAX) {
            set_err(err, errlen, "too long");
            return -1;
        }
        std::memcpy(out, e164.c_str(), e164.size() + 1);
        return 0;
    } catch (...) {
        out[0] = '\0';
        set_err(err, errlen, "could not be parsed");
        return -1;
    }
}

extern "C" int phone_region_known(const char *region)
{
    try {
        std::set<std::string> regions;
        PhoneNumberUtil::GetInstance()->GetSupportedRegions(&regions);
        return regions.count(std::string(region)) ? 1 : 0;
    } catch (...) {
        return 0;
    }
}
