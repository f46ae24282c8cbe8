"""Excel buttons: the console workbook (``tic xl console``) and the Python its buttons call.

``console``  writes the macro-enabled 工作台 workbook (sheets, names, form buttons, VBA project);
``vba``      builds its ``vbaProject.bin`` ([MS-OVBA] compression, [MS-CFB] compound file);
``actions``  one function per button, calling the same library function as the CLI;
``buttons``  the xlwings entry points (``press``) and the command-line protocol used by WPS;
``layout``   where every cell, name and button is.
"""
