"""German dates: "7. Dez. 2026" (Duden's abbreviated months: Django's ``N``, "März", "Mai", "Juni" unabbreviated);
times in 24 hours. Data exports write ISO dates themselves (issue 13)."""

DATE_FORMAT = "j. N Y"
SHORT_DATE_FORMAT = "j. N Y"
DATETIME_FORMAT = "j. N Y, H:i"
SHORT_DATETIME_FORMAT = "j. N Y, H:i"
MONTH_DAY_FORMAT = "j. N"
YEAR_MONTH_FORMAT = "N Y"
TIME_FORMAT = "H:i"
# What a typed date may look like (forms use <input type=date>, which always sends ISO).
DATE_INPUT_FORMATS = ["%Y-%m-%d"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]
FIRST_DAY_OF_WEEK = 1
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
