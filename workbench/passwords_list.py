"""Writes workbench/data/common-passwords.txt from zxcvbn's list (`make common-passwords`).

zxcvbn is a development requirement only: the workbench itself reads the shipped text file.
"""

from zxcvbn.frequency_lists import FREQUENCY_LISTS

HEADER = """\
# Common passwords the workbench refuses (case-insensitive), one per line.
# Source: the 30,000 most common passwords in the "passwords" frequency list of zxcvbn-python 4.5.0
# (MIT licence, Copyright (c) 2012-2016 Dan Wheeler and Dropbox, Inc.), itself drawn from the Xato
# corpus of ten million leaked passwords. Regenerate with `make common-passwords`.
"""

if __name__ == "__main__":
    words = sorted({word.strip().lower() for word in FREQUENCY_LISTS["passwords"] if word.strip()})
    print(HEADER + "\n".join(words))
